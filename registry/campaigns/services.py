"""Bulk import of shops collected door to door, invitation codes, claiming, and what gets printed."""

from __future__ import annotations

import hmac
import json
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from registry.areas import services as areas
from registry.areas.services import AreaList
from registry.audit import services as audit
from registry.auth.models import User
from registry.badges.models import Badge
from registry.badges.services import badge_url, current_badge
from registry.campaigns import spreadsheets
from registry.campaigns.models import BatchStatus, ImportBatch, ShopInvitation
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, NotFound, NotPermitted
from registry.extensions import db
from registry.i18n import join_list
from registry.merchants.models import Merchant, MerchantNameGram, Standing
from registry.merchants.services import (ShopDetails, check_shop_details, lock_shop, name_gram_rows, new_public_code,
                                         normalize_search_text)
from registry.pledges.models import PledgeVersion, Signature
from registry.merchants.standing import assess
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import latest_signatures, pledge_facts
from registry.pledges.versions import current_version
from registry.clock import CHINA

# Printed on a letter and typed on a phone: no 0/O, 1/I/L. 31⁸ ≈ 8.5 × 10¹¹ codes.
INVITATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITATION_LENGTH = 8
INVITATION_VALIDITY_DAYS = 90
# One PDF of posters is printed in one go; larger runs are split by township or batch.
MAX_POSTERS_PER_PDF = 500
LETTERS_PER_PDF = 500
_IN_CHUNK = 500


# --- Upload and checking -------------------------------------------------------------------------

def require_staff(staff: User) -> None:
    if not staff.is_staff:
        raise NotPermitted(_("只有工作人员可以导入店铺。"))


def require_batch_scope(batch: ImportBatch, staff: User) -> None:
    """A district's staff see only their district's batches; staff for the whole area see all."""
    require_staff(staff)
    if staff.district and batch.district != staff.district:
        raise NotPermitted(_("这批名单不在您负责的区县。"))


def _row_details(values: dict[str, str], area_list: AreaList) -> tuple[ShopDetails, dict[str, list[str]]]:
    """One row checked with the shop form's rules (merchants.services.check_shop_details): district
    and township in any spelling the list accepts, stored under their canonical names."""
    raw_category = values.get("category", "")
    category = spreadsheets.category_code(raw_category)
    details = ShopDetails(**{name: values.get(name, "") for name in spreadsheets.FIELDS if name != "category"},
                          category=category or "")
    cleaned, field_errors = check_shop_details(details, area_list)
    errors = {name: [message] for name, message in field_errors.items()}
    if category is None:
        errors["category"] = [
            _("无法识别类别“%(value)s”。可以填写：%(choices)s。", value=raw_category,
              choices=spreadsheets.category_choices()) if raw_category.strip() else _("此项必填。")
        ]
    return cleaned, errors


def _registered_codes(codes: set[str]) -> dict[str, str]:
    """Credit code → name of the shop already registered with it, for the codes given."""
    found: dict[str, str] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), _IN_CHUNK):
        chunk = ordered[start:start + _IN_CHUNK]
        found.update((code, name) for code, name in db.session.execute(
            select(Merchant.credit_code, Merchant.name).where(Merchant.credit_code.in_(chunk))))
    return found


def check_rows(rows: list[tuple[int, dict[str, str]]], staff: User) -> list[dict]:
    """Every row with the problems of each field: the form's rules, the staff's district, and
    credit codes used twice in the file or already registered."""
    results = []
    area_list = areas.load_areas()
    for line, values in rows:
        cleaned, errors = _row_details(values, area_list)
        if staff.district and "district" not in errors and cleaned.district != staff.district:
            errors["district"] = [_("您只能导入%(district)s的店铺。", district=staff.district)]
        # Shown beside the value as typed, e.g. a full-width code and what it was read as.
        normalized = {name: getattr(cleaned, name) for name in ("credit_code", "contact_phone", "district", "township")
                      if name not in errors and getattr(cleaned, name) != values.get(name, "").strip()}
        results.append({"line": line, "values": values, "errors": errors, "normalized": normalized,
                        "code": None if "credit_code" in errors else cleaned.credit_code})

    lines_by_code: dict[str, list[int]] = defaultdict(list)
    for result in results:
        if result["code"]:
            lines_by_code[result["code"]].append(result["line"])
    registered = _registered_codes(set(lines_by_code))
    for result in results:
        code = result.pop("code")
        if not code:
            continue
        # Every copy is refused, not just the later ones: which of them is right is for staff to say.
        others = [line for line in lines_by_code[code] if line != result["line"]]
        if others:
            result["errors"].setdefault("credit_code", []).append(
                _("文件第 %(lines)s 行也是这个统一社会信用代码。请核对，只保留正确的一行。", lines=join_list(others)))
        if code in registered:
            result["errors"].setdefault("credit_code", []).append(
                _("该统一社会信用代码已登记过店铺（%(name)s）。", name=registered[code]))
    return results


def upload_batch(filename: str, data: bytes, staff: User) -> ImportBatch:
    """Read and check an uploaded shop list, and keep it until staff decide what to import."""
    return store_checked_list(filename, check_shop_list(filename, data, staff), staff)


@dataclass(frozen=True)
class CheckedList:
    """An uploaded shop list, read and checked row by row (check_shop_list), not yet stored."""

    results: list[dict]
    ignored_columns: list[str]


def check_shop_list(filename: str, data: bytes, staff: User) -> CheckedList:
    """Read and check an uploaded shop list; reads only (views run it in slow_work())."""
    require_staff(staff)
    sheet = spreadsheets.read_shop_list(filename, data)
    return CheckedList(check_rows(sheet.rows, staff), list(sheet.ignored_columns))


def store_checked_list(filename: str, checked: CheckedList, staff: User) -> ImportBatch:
    """Keep a checked list until staff decide what to import."""
    require_staff(staff)
    results = checked.results
    batch = ImportBatch(
        created_by_id=staff.id, district=staff.district, filename=(filename or "")[:200],
        status=BatchStatus.VALIDATED.value, row_count=len(results),
        valid_count=sum(1 for r in results if not r["errors"]),
        rows_json=json.dumps(results, ensure_ascii=False),
        ignored_columns_json=json.dumps(checked.ignored_columns, ensure_ascii=False),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record("campaign.batch_uploaded", batch, staff, filename=batch.filename, rows=batch.row_count,
                 valid=batch.valid_count)
    return batch


def batch_for_staff(batch_id: int, staff: User) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(_("没有找到这批名单。"))
    require_batch_scope(batch, staff)
    return batch


def batches_for(staff: User, limit: int = 50) -> list[ImportBatch]:
    query = select(ImportBatch).order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit)
    if staff.district:
        query = query.where(ImportBatch.district == staff.district)
    return list(db.session.scalars(query))


# --- Deciding ------------------------------------------------------------------------------------

def _lock_open_batch(batch: ImportBatch) -> None:
    """Serialise a double-submitted decision: the second one finds the batch already decided."""
    db.session.refresh(batch, with_for_update=True)
    if not batch.is_open:
        raise Conflict(_("这批名单已经处理过了，没有重复导入。"))


def discard_batch(batch: ImportBatch, staff: User) -> ImportBatch:
    """Import none of the rows."""
    require_batch_scope(batch, staff)
    _lock_open_batch(batch)
    batch.status = BatchStatus.DISCARDED.value
    batch.decided_at, batch.decided_by_id = utcnow(), staff.id
    db.session.flush()
    audit.record("campaign.batch_discarded", batch, staff, rows=batch.row_count)
    return batch


def import_valid_rows(batch: ImportBatch, staff: User) -> list[Merchant]:
    """Create a pending, ownerless shop with an invitation code for every valid row, or none at all."""
    require_batch_scope(batch, staff)
    _lock_open_batch(batch)
    stored = batch.rows
    chosen = [row for row in stored if not row["errors"]]
    if not chosen:
        raise DomainError(_("这批名单没有可以导入的行。"))
    # Checked again: since the upload another shop may have registered one of these codes.
    rechecked = check_rows([(row["line"], row["values"]) for row in chosen], staff)
    now_wrong = [row["line"] for row in rechecked if row["errors"]]
    if now_wrong:
        raise Conflict(_("第 %(lines)s 行在上传之后出现了新问题（例如代码已被登记），没有导入任何店铺。"
                         "请重新上传名单核对。", lines=join_list(now_wrong)))

    now = utcnow()
    merchants = []
    area_list = areas.load_areas()
    for row in chosen:
        cleaned, _errors = _row_details(row["values"], area_list)
        merchant = Merchant(owner_id=None, public_code=new_public_code(), standing=Standing.PENDING.value,
                            search_name=normalize_search_text(cleaned.name), **vars(cleaned))
        db.session.add(merchant)
        merchants.append(merchant)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("有店铺的统一社会信用代码刚刚被登记，没有导入任何店铺。请重新上传名单核对。")) from error

    _index_new_names(merchants)
    codes = _new_invitation_codes(len(merchants))
    expires = now + timedelta(days=invitation_validity_days())
    db.session.add_all(ShopInvitation(merchant_id=merchant.id, batch_id=batch.id, code=code, created_at=now,
                                      expires_at=expires) for merchant, code in zip(merchants, codes))
    db.session.flush()
    for merchant in merchants:
        audit.record("merchant.imported", merchant, staff, batch_id=batch.id, name=merchant.name,
                     credit_code=merchant.credit_code, district=merchant.district)
    batch.status = BatchStatus.IMPORTED.value
    batch.decided_at, batch.decided_by_id = now, staff.id
    batch.imported_count = len(merchants)
    db.session.flush()
    audit.record("campaign.batch_imported", batch, staff, imported=len(merchants),
                 skipped=batch.row_count - len(merchants))
    return merchants


def _index_new_names(merchants: list[Merchant]) -> None:
    """What merchants.services.index_merchant_name does, for thousands of new shops in one statement
    (it first deletes old grams, which new shops do not have, one shop at a time). search_name is set
    when the shop is built."""
    grams = [row for merchant in merchants for row in name_gram_rows(merchant.id, merchant.name)]
    if grams:
        db.session.execute(insert(MerchantNameGram), grams)


def invitation_validity_days() -> int:
    return int(current_app.config.get("INVITATION_VALIDITY_DAYS", INVITATION_VALIDITY_DAYS))


def _random_code() -> str:
    return "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_LENGTH))


def _new_invitation_codes(count: int) -> list[str]:
    """`count` distinct codes that no invitation uses yet."""
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {_random_code() for _ in range(count - len(codes))} - codes
        taken = set()
        ordered = sorted(fresh)
        for start in range(0, len(ordered), _IN_CHUNK):
            taken |= set(db.session.scalars(
                select(ShopInvitation.code).where(ShopInvitation.code.in_(ordered[start:start + _IN_CHUNK]))))
        codes |= fresh - taken
    return list(codes)


def invitations_of(batch: ImportBatch, limit: int | None = None) -> list[ShopInvitation]:
    query = (select(ShopInvitation).where(ShopInvitation.batch_id == batch.id).order_by(ShopInvitation.id)
             .options(joinedload(ShopInvitation.merchant)).limit(limit))
    return list(db.session.scalars(query))


def invitation_counts(batch: ImportBatch) -> dict[str, int]:
    """How many of the batch's invitations are waiting, used or expired."""
    now = utcnow()
    rows = db.session.execute(select(ShopInvitation.used_at.is_not(None), ShopInvitation.expires_at > now)
                              .where(ShopInvitation.batch_id == batch.id)).all()
    return {"used": sum(1 for used, _live in rows if used),
            "waiting": sum(1 for used, live in rows if not used and live),
            "expired": sum(1 for used, live in rows if not used and not live)}


# --- Claiming ------------------------------------------------------------------------------------

def normalize_invitation_code(raw: str) -> str:
    """ABCD-EFGH, abcd efgh and full-width ＡＢＣＤ all become ABCDEFGH."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def _wrong_code_or_phone() -> DomainError:
    # One message for both: an unknown code and a known code with the wrong digits look the same.
    return DomainError(_("邀请码或手机号后 4 位不正确。请核对邀请函上的邀请码，并输入登记时留下的联系电话的后 4 位。"),
                       field="code")


def claim_shop(user: User, raw_code: str, raw_phone_last4: str) -> Merchant:
    """Make `user` the owner of the shop the invitation is for; each code works once.

    The second factor is the last four digits of the contact phone staff wrote down at the door: it
    is never printed on the letter or shown publicly, whereas the credit code hangs on the shop wall
    on the business licence (and on the public QR page once the shop signs).
    """
    code = normalize_invitation_code(raw_code)
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", raw_phone_last4 or "") if ch.isascii() and ch.isdigit())
    if len(code) != INVITATION_LENGTH:
        raise DomainError(_("邀请码是 8 位字母和数字，例如 ABCD-EFGH。"), field="code")
    if len(digits) != 4:
        raise DomainError(_("请输入 4 位数字。"), field="phone_last4")
    invitation = db.session.scalar(select(ShopInvitation).where(ShopInvitation.code == code))
    if invitation is None:
        raise _wrong_code_or_phone()
    db.session.refresh(invitation, with_for_update=True)
    merchant = invitation.merchant
    lock_shop(merchant)
    if not hmac.compare_digest(merchant.contact_phone[-4:], digits):
        raise _wrong_code_or_phone()
    if invitation.used_at is not None or merchant.owner_id is not None:
        raise Conflict(_("这个邀请码已经用过了。如果店铺不是您认领的，请联系消费者协会。"), field="code")
    now = utcnow()
    if not invitation.is_usable_at(now):
        raise DomainError(_("这个邀请码已于 %(date)s 过期。请联系消费者协会重新发放。",
                            date=invitation.expires_at.astimezone(CHINA).strftime("%Y-%m-%d")), field="code")
    merchant.owner_id = user.id
    invitation.used_at, invitation.used_by_id = now, user.id
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError as error:
        raise Conflict(_("这个邀请码已经用过了。如果店铺不是您认领的，请联系消费者协会。"), field="code") from error
    audit.record("merchant.claimed", merchant, user, invitation_id=invitation.id, batch_id=invitation.batch_id)
    return merchant


# --- Printing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PosterItem:
    """What one poster shows: the same facts as templates/badges/poster.html."""

    shop: Merchant
    badge: Badge
    signature: Signature | None
    version: PledgeVersion
    url: str


@dataclass(frozen=True)
class PosterSelection:
    district: str = ""
    township: str = ""
    batch_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.district or self.township or self.batch_id)


def scoped_selection(selection: PosterSelection, staff: User) -> PosterSelection:
    """A district's staff print their own district only, whatever the form said."""
    require_staff(staff)
    if staff.district:
        return PosterSelection(staff.district, selection.township, selection.batch_id)
    return selection


def districts_for(staff: User) -> list[str]:
    if staff.district:
        return [staff.district]
    return list(db.session.scalars(select(Merchant.district).distinct().order_by(Merchant.district)))


def townships_for(staff: User, district: str) -> list[str]:
    query = select(Merchant.township).distinct().order_by(Merchant.township)
    district = staff.district or district
    if district:
        query = query.where(Merchant.district == district)
    return list(db.session.scalars(query))


def poster_items(selection: PosterSelection, staff: User, limit: int = MAX_POSTERS_PER_PDF + 1) -> list[PosterItem]:
    """Signed shops (active or warned, with a valid badge) matching the selection, by place and name."""
    selection = scoped_selection(selection, staff)
    query = (select(Merchant)
             .where(Merchant.standing.in_((Standing.ACTIVE.value, Standing.WARNED.value)))
             .order_by(Merchant.district, Merchant.township, Merchant.name, Merchant.id))
    if selection.district:
        query = query.where(Merchant.district == selection.district)
    if selection.township:
        query = query.where(Merchant.township == selection.township)
    if selection.batch_id is not None:
        query = query.join(ShopInvitation, ShopInvitation.merchant_id == Merchant.id) \
            .where(ShopInvitation.batch_id == selection.batch_id)
    fallback, terms = current_version(), current_version_terms()
    items: list[PosterItem] = []
    now = utcnow()
    offset = 0
    while len(items) < limit:
        # In chunks: shops shown as active whose signature ran out (lapsed) are skipped, so the
        # number of rows needed is not known in advance.
        shops = list(db.session.scalars(query.offset(offset).limit(_IN_CHUNK)))
        if not shops:
            break
        offset += len(shops)
        signatures = latest_signatures([shop.id for shop in shops])
        for shop in shops:
            signature = signatures.get(shop.id)
            shown = assess(shop.standing, pledge_facts(signature), terms, (), now).standing
            if shown not in (Standing.ACTIVE.value, Standing.WARNED.value):
                continue
            badge = current_badge(shop)
            if badge is None:
                continue
            version = signature.pledge_version if signature else fallback
            items.append(PosterItem(shop, badge, signature, version, badge_url(shop, badge)))
            if len(items) >= limit:
                break
    return items


def check_poster_count(count: int) -> None:
    """Refuse an empty selection or one too large for one PDF."""
    if not count:
        raise DomainError(_("没有符合条件的已签署店铺。"), field="district")
    if count > MAX_POSTERS_PER_PDF:
        raise DomainError(_("一次最多打印 %(max)d 张海报，请按乡镇/街道缩小范围。", max=MAX_POSTERS_PER_PDF),
                          field="township")


def record_posters_printed(selection: PosterSelection, merchant_ids: list[int], staff: User) -> None:
    """Posters carry live badge codes: who printed which shops is kept in the audit chain."""
    check_poster_count(len(merchant_ids))
    audit.record("campaign.posters_printed", staff, staff, district=selection.district, township=selection.township,
                 batch_id=selection.batch_id, count=len(merchant_ids), merchant_ids=list(merchant_ids))


def letter_parts(waiting: int) -> list[tuple[int, int, int]]:
    """(part, first, last) for printing `waiting` letters in PDFs of at most LETTERS_PER_PDF pages."""
    return [(number, start + 1, min(start + LETTERS_PER_PDF, waiting))
            for number, start in enumerate(range(0, waiting, LETTERS_PER_PDF), start=1)]


def letters_to_print(batch: ImportBatch, staff: User, part: int = 1) -> list[ShopInvitation]:
    """One part of the batch's invitations still waiting to be used; printing them is recorded (they are secrets)."""
    chosen = letters_of_part(batch, staff, part)
    record_letters_printed(batch, staff, part, [inv.merchant_id for inv in chosen])
    return chosen


def record_letters_printed(batch: ImportBatch, staff: User, part: int, merchant_ids: list[int]) -> None:
    """Invitation codes are secrets: who printed which shops' letters is kept in the audit chain."""
    audit.record("campaign.letters_printed", batch, staff, part=part, count=len(merchant_ids),
                 merchant_ids=list(merchant_ids))


def letters_of_part(batch: ImportBatch, staff: User, part: int = 1) -> list[ShopInvitation]:
    """One part of the batch's invitations still waiting to be used (reads only; not recorded)."""
    require_batch_scope(batch, staff)
    now = utcnow()
    invitations = [inv for inv in invitations_of(batch) if inv.is_usable_at(now)]
    if not invitations:
        raise DomainError(_("这批店铺已全部认领或邀请码已过期，没有需要打印的邀请函。"))
    chosen = invitations[(part - 1) * LETTERS_PER_PDF:part * LETTERS_PER_PDF] if part >= 1 else []
    if not chosen:
        raise DomainError(_("没有这一部分的邀请函，请回到批次页面重新选择。"))
    return chosen


def claim_url(invitation: ShopInvitation) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/my/claim?code={invitation.code}"


@areas.district_renamed.connect
def _rename_district(district, old: str, new: str) -> dict[str, int]:
    """Batches stay visible to the renamed district's staff."""
    result = db.session.execute(update(ImportBatch).where(ImportBatch.district == old).values(district=new)
                                .execution_options(synchronize_session="fetch"))
    return {"import_batches": result.rowcount}
