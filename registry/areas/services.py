"""The list of districts and townships: finding a typed name in it, and the administrators' edits.

Other packages store the canonical *name* (see areas.models); they ask `AreaList.place` for it and
listen to `district_renamed` / `township_renamed` to rewrite their rows when a name changes, in the
same transaction as the rename.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from registry.areas.models import District, Township
from registry.areas.spelling import (DISTRICT_SUFFIXES, SEPARATOR, TOWNSHIP_SUFFIXES, clean_name, keys_of,
                                     parse_aliases, spelling_key, stem)
from registry.audit import services as audit
from registry.errors import Conflict, DomainError
from registry.extensions import db
from registry.i18n import join_list

_signals = Namespace()
# Sent with the District (or Township) after its name changed: old=…, new=… (and district=… for a
# township). Receivers rewrite their own rows and return {what: how many rows} for the audit entry.
district_renamed = _signals.signal("district-renamed")
township_renamed = _signals.signal("township-renamed")

MAX_NAME = 64


# --- Finding a typed name -------------------------------------------------------------------------

def _index(entries, suffixes: tuple[str, ...]) -> tuple[dict[str, dict], dict[str, dict], tuple[str, ...]]:
    exact: dict[str, dict] = {}
    loose: dict[str, dict] = {}
    for entry in entries:
        for spelling in (entry.name, *entry.alias_list):
            key = spelling_key(spelling)
            # Keyed by the object, not its id: entries being imported have no id before the flush.
            exact.setdefault(key, {})[id(entry)] = entry
            loose.setdefault(stem(key, suffixes), {})[id(entry)] = entry
    return exact, loose, suffixes


def _shown(text: str) -> str:
    """The typed value as a message quotes it (a pasted page would make a page-long message)."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_NAME else text[:MAX_NAME] + "…"


def _match(index, text: str) -> list:
    """Entries answering to `text`: its exact spelling first, else the same without the suffix."""
    exact, loose, suffixes = index
    key = spelling_key(text)
    found = exact.get(key) or loose.get(stem(key, suffixes)) or {}
    return list(found.values())


class AreaList:
    """The whole list, loaded once per request or import (a city has ~15 districts, ~200 townships)."""

    def __init__(self, districts: list[District]):
        self.districts = districts
        self._districts = _index(districts, DISTRICT_SUFFIXES)
        self._townships = {id(district): _index(district.townships, TOWNSHIP_SUFFIXES) for district in districts}

    def refresh(self, district: District | None = None) -> None:
        """Index entries added since loading: one district's townships, or the districts."""
        if district is None:
            self._districts = _index(self.districts, DISTRICT_SUFFIXES)
        else:
            self._townships[id(district)] = _index(district.townships, TOWNSHIP_SUFFIXES)

    @property
    def active_districts(self) -> list[District]:
        return [district for district in self.districts if district.is_active]

    def named(self, name: str | None) -> District | None:
        """The district stored under exactly this canonical name."""
        return next((district for district in self.districts if district.name == name), None)

    def find_district(self, text: str | None, active_only: bool = True) -> District:
        """The district `text` names, in any accepted spelling; DomainError naming the choices if none."""
        if not clean_name(text):
            raise DomainError(_("此项必填。"), field="district")
        found = _match(self._districts, text)
        if len(found) > 1:
            raise DomainError(_("“%(value)s”可能是%(choices)s，请写全称。", value=_shown(text),
                                choices=join_list(d.name for d in found)), field="district")
        if not found:
            raise DomainError(_("区县“%(value)s”不在名单中。可以填写：%(choices)s。", value=_shown(text),
                                choices=join_list(d.name for d in self.active_districts)), field="district")
        if active_only and not found[0].is_active:
            raise DomainError(_("区县“%(name)s”已停用，不能再选择。", name=found[0].name), field="district")
        return found[0]

    def find_township(self, district: District, text: str | None, active_only: bool = True) -> Township:
        """The township of `district` that `text` names, in any accepted spelling."""
        if not clean_name(text):
            raise DomainError(_("此项必填。"), field="township")
        found = _match(self._townships.get(id(district), ({}, {}, TOWNSHIP_SUFFIXES)), text)
        if len(found) > 1:
            raise DomainError(_("“%(value)s”可能是%(choices)s，请写全称。", value=_shown(text),
                                choices=join_list(t.name for t in found)), field="township")
        if not found:
            choices = [t.name for t in district.townships if t.is_active]
            raise DomainError(_("%(district)s没有“%(value)s”这个乡镇（街道）。可以填写：%(choices)s。",
                                district=district.name, value=_shown(text), choices=join_list(choices)),
                              field="township")
        if active_only and not found[0].is_active:
            raise DomainError(_("乡镇（街道）“%(name)s”已停用，不能再选择。", name=found[0].name), field="township")
        return found[0]

    def place(self, district_text: str | None, township_text: str | None,
              active_only: bool = True) -> tuple[str, str, dict[str, str]]:
        """(canonical district, canonical township, {field: problem}); a field that fails keeps its text."""
        errors: dict[str, str] = {}
        district_name, township_name = (district_text or "").strip(), (township_text or "").strip()
        try:
            district = self.find_district(district_text, active_only)
        except DomainError as error:
            errors[error.field] = error.message
            if not clean_name(township_text):
                errors["township"] = _("此项必填。")
            return district_name, township_name, errors
        try:
            township_name = self.find_township(district, township_text, active_only).name
        except DomainError as error:
            errors[error.field] = error.message
        return district.name, township_name, errors


def load_areas() -> AreaList:
    """The list as it is now, districts and townships in the order they were entered."""
    return AreaList(list(db.session.scalars(
        select(District).options(selectinload(District.townships)).order_by(District.id))))


def canonical_district(text: str | None, areas: AreaList | None = None) -> str:
    """The canonical name of an active district typed in any accepted spelling (DomainError if none)."""
    return (areas or load_areas()).find_district(text).name


def district_names() -> list[str]:
    """Every district on the list (inactive ones too: old figures and records still use them)."""
    return list(db.session.scalars(select(District.name).order_by(District.id)))


# --- Administrators' edits ------------------------------------------------------------------------

def _checked_name(text: str | None) -> str:
    name = clean_name(text)
    if not name:
        raise DomainError(_("请填写名称。"), field="name")
    if len(name) > MAX_NAME:
        raise DomainError(_("名称最多 %(max)d 个字。", max=MAX_NAME), field="name")
    if SEPARATOR in name or any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise DomainError(_("名称不能含有“%(character)s”或控制字符。", character=SEPARATOR), field="name")
    return name


def _checked_aliases(text: str | None, name: str, suffixes: tuple[str, ...]) -> str:
    """One spelling per line, without those the name answers to anyway (西湖 for 西湖区)."""
    spellings = [s for s in parse_aliases(text) if spelling_key(s) not in keys_of([name], suffixes)]
    for spelling in spellings:
        if len(spelling) > MAX_NAME or SEPARATOR in spelling:
            raise DomainError(_("写法“%(spelling)s”太长或含有“%(character)s”。", spelling=spelling[:MAX_NAME],
                                character=SEPARATOR), field="aliases")
    return "\n".join(spellings)


def _with_old_name(aliases: str | None, old_name: str) -> str:
    """A renamed entry keeps answering to its old name (paper forms and files still use it);
    _checked_aliases drops it again when the name did not really change."""
    return f"{aliases or ''}\n{old_name}"


def _flush_or_conflict() -> None:
    # The unique names are checked above; two administrators adding the same name at once meet here.
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("这个名称刚刚已被使用，请刷新后再试。"), field="name") from error


def _ensure_distinct(entry, name: str, aliases: str, siblings, suffixes) -> None:
    """Refuse a name or spelling that another entry already answers to: lookups must stay unambiguous."""
    for other in siblings:
        if other is entry:
            continue
        taken = keys_of([other.name, *other.alias_list], suffixes)
        for field, spelling in [("name", name)] + [("aliases", s) for s in aliases.split("\n") if s]:
            if keys_of([spelling], suffixes) & taken:
                raise Conflict(_("“%(spelling)s”与“%(other)s”的名称或写法重复，无法区分。",
                                 spelling=spelling, other=other.name), field=field)


def _all_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.id)))


def add_district(actor, name: str, aliases: str = "") -> District:
    """Put a district on the list (active)."""
    name = _checked_name(name)
    aliases = _checked_aliases(aliases, name, DISTRICT_SUFFIXES)
    _ensure_distinct(None, name, aliases, _all_districts(), DISTRICT_SUFFIXES)
    district = District(name=name, aliases=aliases, is_active=True)
    db.session.add(district)
    _flush_or_conflict()
    audit.record("area.district_added", district, actor, name=name, aliases=district.alias_list)
    return district


def add_township(actor, district: District, name: str, aliases: str = "") -> Township:
    """Put a township on a district's list (active)."""
    name = _checked_name(name)
    aliases = _checked_aliases(aliases, name, TOWNSHIP_SUFFIXES)
    _ensure_distinct(None, name, aliases, district.townships, TOWNSHIP_SUFFIXES)
    township = Township(district=district, name=name, aliases=aliases, is_active=True)
    db.session.add(township)
    _flush_or_conflict()
    audit.record("area.township_added", township, actor, district=district.name, name=name,
                 aliases=township.alias_list)
    return township


def _counts(results) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _receiver, result in results:
        for what, number in (result or {}).items():
            counts[what] = counts.get(what, 0) + number
    return counts


def update_district(actor, district: District, name: str, aliases: str, is_active: bool) -> District:
    """Rename (rewriting every shop, staff scope and record that uses the old name), change the
    accepted spellings, or (de)activate a district; one audit entry per kind of change."""
    name = _checked_name(name)
    aliases = _checked_aliases(_with_old_name(aliases, district.name), name, DISTRICT_SUFFIXES)
    _ensure_distinct(district, name, aliases, _all_districts(), DISTRICT_SUFFIXES)
    old_name, old_aliases, was_active = district.name, district.alias_list, district.is_active
    district.name, district.aliases, district.is_active = name, aliases, is_active
    _flush_or_conflict()
    if old_name != name:
        counts = _counts(district_renamed.send(district, old=old_name, new=name))
        audit.record("area.district_renamed", district, actor, old=old_name, new=name, **counts)
    if old_aliases != district.alias_list:
        audit.record("area.aliases_changed", district, actor, name=name, old=old_aliases, new=district.alias_list)
    if was_active != is_active:
        audit.record("area.activated" if is_active else "area.deactivated", district, actor, name=name)
    return district


def set_division_code(actor, district: District, code: str | None) -> District:
    """Record the district's administrative division code (6 digits, GB/T 2260), or clear it. Shops'
    credit codes are then checked against its city (merchants.identifiers.registered_elsewhere)."""
    code = "".join((code or "").split()) or None
    if code is not None and not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise DomainError(_("行政区划代码是 6 位数字，例如西湖区为 330106。"), field="division_code")
    old = district.division_code
    district.division_code = code
    _flush_or_conflict()
    if old != code:
        audit.record("area.division_code_set", district, actor, name=district.name, old=old, new=code)
    return district


def update_township(actor, township: Township, name: str, aliases: str, is_active: bool) -> Township:
    """Rename (rewriting the shops that use it), change the accepted spellings, or (de)activate a township."""
    name = _checked_name(name)
    aliases = _checked_aliases(_with_old_name(aliases, township.name), name, TOWNSHIP_SUFFIXES)
    _ensure_distinct(township, name, aliases, township.district.townships, TOWNSHIP_SUFFIXES)
    old_name, old_aliases, was_active = township.name, township.alias_list, township.is_active
    township.name, township.aliases, township.is_active = name, aliases, is_active
    _flush_or_conflict()
    district = township.district.name
    if old_name != name:
        counts = _counts(township_renamed.send(township, district=district, old=old_name, new=name))
        audit.record("area.township_renamed", township, actor, district=district, old=old_name, new=name, **counts)
    if old_aliases != township.alias_list:
        audit.record("area.aliases_changed", township, actor, name=name, old=old_aliases, new=township.alias_list)
    if was_active != is_active:
        audit.record("area.activated" if is_active else "area.deactivated", township, actor, name=name)
    return township


# --- Loading a list (demo seed, `flask areas load`) -------------------------------------------------

@dataclass
class LoadResult:
    districts: list[District]
    townships: int
    aliases: int


def _merge_aliases(entry, spellings: list[str]) -> int:
    known = {spelling_key(s) for s in (entry.name, *entry.alias_list)}
    new = [s for s in spellings if spelling_key(s) not in known]
    if new:
        entry.aliases = "\n".join(entry.alias_list + new)
    return len(new)


def import_rows(rows: Iterable[tuple[str, str, str]]) -> LoadResult:
    """Add the (district, township, aliases) rows that are not on the list yet; rows whose names the
    list already answers to add only their new spellings. A row without a township describes the
    district (its aliases are the district's). Flushes; `load_list` also writes the audit entries."""
    areas = load_areas()
    added: list[District] = []
    townships = aliases_added = 0
    for district_text, township_text, alias_text in rows:
        spellings = parse_aliases(alias_text)
        try:
            district = areas.find_district(district_text, active_only=False)
        except DomainError:
            district = District(name=_checked_name(district_text), aliases="", is_active=True, townships=[])
            db.session.add(district)
            added.append(district)
            areas.districts.append(district)
            areas.refresh()
        if not clean_name(township_text):
            aliases_added += _merge_aliases(district, spellings)
            areas.refresh()
            continue
        try:
            township = areas.find_township(district, township_text, active_only=False)
        except DomainError:
            township = Township(name=_checked_name(township_text), aliases="", is_active=True)
            district.townships.append(township)
            townships += 1
        aliases_added += _merge_aliases(township, spellings)
        areas.refresh(district)
    db.session.flush()
    return LoadResult(added, townships, aliases_added)


def load_list(rows: Iterable[tuple[str, str, str]], actor=None) -> LoadResult:
    """Import rows (see import_rows) and record each district added."""
    result = import_rows(rows)
    for district in result.districts:
        audit.record("area.district_added", district, actor, name=district.name,
                     townships=[t.name for t in district.townships])
    return result
