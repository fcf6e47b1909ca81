"""Registering and editing shops; ownership and uniqueness rules live here."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from registry.auth.access import covers_district
from registry.areas import services as areas
from registry.areas.services import AreaList
from registry.audit import services as audit
from registry.auth.models import User
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, InvalidFields, NotFound, NotPermitted
from registry.extensions import db
from registry.issuer import issuing_body
from registry.merchants.identifiers import registered_elsewhere, registration_division, validate_credit_code
from registry.phones import InvalidIdentifier, validate_mobile
from registry.merchants.models import (CATEGORIES, GRAM_RANK_INSIDE, GRAM_RANK_PREFIX, GRAM_RANK_WHOLE_NAME, Merchant,
                                      MerchantNameGram, Standing, StandingChange)

# Lower-case letters and digits without look-alikes; 16 characters = 80 bits, not guessable.
_PUBLIC_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PUBLIC_CODE_LENGTH = 16


@dataclass
class ShopDetails:
    """What a shop owner may set; standing, owner and codes are never taken from a form."""

    name: str
    credit_code: str
    category: str
    district: str
    township: str
    address: str
    contact_phone: str
    owner_name: str


def new_public_code() -> str:
    return "".join(secrets.choice(_PUBLIC_CODE_ALPHABET) for _ in range(PUBLIC_CODE_LENGTH))


def normalize_search_text(text: str) -> str:
    """The form of a name that search compares: NFKC (full-width → ASCII), lower case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def name_grams(name: str) -> dict[str, int]:
    """Every 1- and 2-character substring of the normalised name, with its rank for ordering
    results: the whole name, the start of the name, or somewhere inside it."""
    text = normalize_search_text(name)
    grams = set(text) | {text[i:i + 2] for i in range(len(text) - 1)}
    return {gram: (GRAM_RANK_WHOLE_NAME if gram == text else GRAM_RANK_PREFIX if text.startswith(gram)
                   else GRAM_RANK_INSIDE) for gram in grams}


def name_gram_rows(merchant_id: int, name: str, listed: bool, district: str) -> list[dict]:
    """The merchant_name_grams rows for one shop (for bulk inserts); `listed`: the shop is public."""
    length = len(normalize_search_text(name))
    return [{"gram": gram, "merchant_id": merchant_id, "rank": rank, "name_length": length, "listed": listed,
             "district": district} for gram, rank in name_grams(name).items()]


def index_merchant_name(merchant: Merchant) -> None:
    """Replace the shop's search grams; called whenever its name is set."""
    merchant.search_name = normalize_search_text(merchant.name)
    db.session.execute(delete(MerchantNameGram).where(MerchantNameGram.merchant_id == merchant.id))
    rows = name_gram_rows(merchant.id, merchant.name, merchant.is_public, merchant.district)
    if rows:
        db.session.execute(insert(MerchantNameGram), rows)


def refresh_search_index(batch: int = 500) -> int:
    """Re-index every shop whose gram rows disagree with it (name length, public or not, district), e.g. rows
    written by hosts still on older code while a release rolled out; returns how many shops."""
    public = Merchant.standing != Standing.PENDING.value
    stale = list(db.session.scalars(
        select(MerchantNameGram.merchant_id).join(Merchant, Merchant.id == MerchantNameGram.merchant_id)
        .where(or_(MerchantNameGram.listed != public, MerchantNameGram.district != Merchant.district,
                   MerchantNameGram.name_length != func.length(Merchant.search_name))).distinct()))
    for start in range(0, len(stale), batch):
        for merchant in db.session.scalars(select(Merchant).where(Merchant.id.in_(stale[start:start + batch]))):
            index_merchant_name(merchant)
        db.session.flush()
    return len(stale)


# Widths of the shop columns; the shop form refuses longer values too (Length validators).
MAX_LENGTHS = {"name": 100, "address": 200, "owner_name": 64}


def check_shop_details(details: ShopDetails, area_list: AreaList | None = None,
                       active_only: bool = True) -> tuple[ShopDetails, dict[str, str]]:
    """Normalise every field and collect every problem at once: (cleaned details, {field: message}).

    District and township must be on the managed list (any accepted spelling; the canonical name is
    kept). The shop form shows them all next to their fields (`shop_problems`, `_clean`); bulk imports show
    them row by row, and pass the list loaded once. Fields that fail keep the value as given in the cleaned details.
    """
    errors: dict[str, str] = {}
    credit_code, phone = details.credit_code, details.contact_phone
    try:
        credit_code = validate_credit_code(details.credit_code)
    except InvalidIdentifier as error:
        errors["credit_code"] = error.message
    try:
        phone = validate_mobile(details.contact_phone)
    except InvalidIdentifier as error:
        errors["contact_phone"] = error.message
    if details.category not in CATEGORIES:
        errors["category"] = _("请选择店铺类别。")
    area_list = area_list or areas.load_areas()
    district, township, place_errors = area_list.place(details.district, details.township, active_only)
    errors.update(place_errors)
    division = getattr(area_list.named(district), "division_code", None)
    if division and "credit_code" not in errors and registered_elsewhere(credit_code, division):
        errors["credit_code"] = _(
            "统一社会信用代码第 3–8 位（%(authority)s）是颁发营业执照的登记机关所在地，不在%(district)s所在的城市"
            "（行政区划代码 %(city)s 开头）。在本地经营的店铺（包括分支机构）持本地登记机关颁发的执照："
            "请逐位核对代码，或选择正确的区县。", authority=registration_division(credit_code), district=district,
            city=division[:4])
    cleaned = ShopDetails(
        name=" ".join(details.name.split()),
        credit_code=credit_code,
        category=details.category,
        district=district,
        township=township,
        address=" ".join(details.address.split()),
        contact_phone=phone,
        owner_name=details.owner_name.strip(),
    )
    for field in ("name", "address", "owner_name"):
        value = getattr(cleaned, field)
        if not value:
            errors[field] = _("此项必填。")
        elif len(value) > MAX_LENGTHS[field]:
            errors[field] = _("最多 %(max)d 个字，现在有 %(given)d 个。", max=MAX_LENGTHS[field], given=len(value))
    return cleaned, errors


def _with_duplicate(cleaned: ShopDetails, errors: dict[str, str], except_id: int | None) -> dict[str, str]:
    if "credit_code" not in errors and _code_taken(cleaned.credit_code, except_id):
        errors["credit_code"] = _duplicate_code_error(cleaned.credit_code).message
    return errors


def shop_problems(details: ShopDetails, except_id: int | None = None,
                  active_only: bool = True) -> tuple[ShopDetails, dict[str, str]]:
    """Every problem with the shop form at once (check_shop_details), with a credit code registered to another
    shop among them: (cleaned details, {field: message})."""
    cleaned, errors = check_shop_details(details, active_only=active_only)
    return cleaned, _with_duplicate(cleaned, errors, except_id)


def _clean(details: ShopDetails, except_id: int | None = None, active_only: bool = True) -> ShopDetails:
    """Validate and normalise every field, naming every field that is wrong (InvalidFields); a credit code
    registered already and nothing else wrong is a Conflict, which the caller raises."""
    cleaned, errors = check_shop_details(details, active_only=active_only)
    if errors:
        raise InvalidFields(_with_duplicate(cleaned, errors, except_id))
    return cleaned


def _code_taken(credit_code: str, except_id: int | None = None) -> bool:
    query = select(Merchant.id).where(Merchant.credit_code == credit_code)
    if except_id is not None:
        query = query.where(Merchant.id != except_id)
    return db.session.scalar(query) is not None


def awaiting_owner(credit_code: str) -> bool:
    """Whether the shop under `credit_code` was registered by staff (imported from a list, or signed up at its
    door) and no owner has claimed it yet: its owner claims it with the invitation code, not by registering."""
    return db.session.scalar(select(Merchant.id).where(Merchant.credit_code == credit_code,
                                                       Merchant.owner_id.is_(None))) is not None


def _duplicate_code_error(credit_code: str | None = None) -> Conflict:
    # The shop form shows, under this message, the link to the claim: with the invitation code for a shop
    # staff registered (campaigns), or an ownership claim (ownership.claims) for one someone owns.
    body = issuing_body()
    if credit_code is not None and awaiting_owner(credit_code):
        return Conflict(_("这家店铺已由工作人员上门登记，正在等店主认领，不用重新登记：请用邀请函上的邀请码认领。"
                          "没有收到或遗失了邀请函，请致电%(issuer)s（%(phone)s）。", issuer=body.name, phone=body.phone),
                        field="credit_code")
    return Conflict(_("该统一社会信用代码已登记过店铺。如果这是您的店铺，可以在线提出认领申请，或致电%(issuer)s（%(phone)s）核实。",
                      issuer=body.name, phone=body.phone), field="credit_code")


def registered_credit_code(raw: str | None) -> str | None:
    """The credit code as stored, when a shop is registered under it (the shop form offers a claim)."""
    try:
        code = validate_credit_code(raw or "")
    except InvalidIdentifier:
        return None
    return code if _code_taken(code) else None


def register_shop(owner: User | None, details: ShopDetails, actor: User | None = None) -> Merchant:
    """Register a shop for `owner`; it stays pending (not public) until the pledge is signed. Staff
    signing a shop up at its door register it with no owner (`actor` is then the officer): the owner
    claims it later with an invitation code (campaigns)."""
    details = _clean(details)
    if _code_taken(details.credit_code):
        raise _duplicate_code_error(details.credit_code)
    merchant = Merchant(owner_id=owner.id if owner is not None else None, public_code=new_public_code(),
                        **vars(details))
    db.session.add(merchant)
    try:
        # A savepoint, so a race on the unique code fails this insert alone, not the request.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise _duplicate_code_error() from error
    index_merchant_name(merchant)
    audit.record("merchant.registered", merchant, actor or owner, name=merchant.name, credit_code=merchant.credit_code)
    return merchant


def _as_edited(merchant: Merchant, details: ShopDetails) -> tuple[ShopDetails, int, bool]:
    """The owner's edit as checked: the shop's own district; an unchanged township is accepted even if the
    list has since retired it. Returns the arguments of `_clean` and `shop_problems`."""
    details = replace(details, district=merchant.district)
    return details, merchant.id, details.township != merchant.township


def edit_problems(merchant: Merchant, details: ShopDetails) -> dict[str, str]:
    """Every problem with the owner's edit of `merchant` at once (the form shows them with its own)."""
    return shop_problems(*_as_edited(merchant, details))[1]


def update_shop(merchant: Merchant, actor: User, details: ShopDetails, expected_version: int) -> Merchant:
    """Change a shop's details; refuses edits made from a form older than the shop's last change.

    The district is the shop's own, whatever was posted: it decides which officers handle the shop's
    complaints and sanctions, so only staff move a shop (`move_shop`). The township may change within it.
    """
    require_owner(merchant, actor)
    details = _clean(*_as_edited(merchant, details))
    if merchant.version != expected_version:
        raise Conflict(_("店铺信息已在别处被修改。请查看最新内容后再保存。"))
    if _code_taken(details.credit_code, except_id=merchant.id):
        raise _duplicate_code_error(details.credit_code)
    changes = {f: [getattr(merchant, f), v] for f, v in vars(details).items() if getattr(merchant, f) != v}
    if not changes:
        return merchant
    for field, (_old, new) in changes.items():
        setattr(merchant, field, new)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError as error:
        raise Conflict(_("店铺信息已在别处被修改。请查看最新内容后再保存。")) from error
    except IntegrityError as error:
        raise _duplicate_code_error() from error
    if "name" in changes:
        index_merchant_name(merchant)
    audit.record("merchant.updated", merchant, actor, changes=changes)
    return merchant


def require_mover(merchant: Merchant, staff: User) -> None:
    """Administrators, staff for the whole area and staff of the shop's current district."""
    if not covers_district(staff, merchant.district):
        raise NotPermitted(_("只有管理员或负责这家店铺所在区县的工作人员可以更改店铺所在区县。"))


def move_shop(merchant: Merchant, staff: User, district_text: str, township_text: str,
              expected_version: int) -> Merchant:
    """Staff put a shop in another district or township (a wrong registration, a boundary change).

    Moving a shop hands its complaints, sanctions and appeals to the officers of the new district, so
    only administrators, staff for the whole area and staff of the shop's current district may do it.
    """
    require_mover(merchant, staff)
    district, township, errors = areas.load_areas().place(district_text, township_text)
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field=field)
    if merchant.version != expected_version:
        raise Conflict(_("店铺信息已在别处被修改。请查看最新内容后再保存。"))
    old = {"district": merchant.district, "township": merchant.township}
    if (district, township) == (old["district"], old["township"]):
        return merchant
    merchant.district, merchant.township = district, township
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError as error:
        raise Conflict(_("店铺信息已在别处被修改。请查看最新内容后再保存。")) from error
    audit.record("merchant.moved", merchant, staff, old=old, new={"district": district, "township": township})
    return merchant


@areas.district_renamed.connect
def _rename_district(district, old: str, new: str) -> dict[str, int]:
    """A district renamed on the list: its shops follow, in the same transaction (versions bumped,
    so a form opened before the rename cannot write the old name back)."""
    result = db.session.execute(update(Merchant).where(Merchant.district == old)
                                .values(district=new, version=Merchant.version + 1, updated_at=utcnow())
                                .execution_options(synchronize_session="fetch"))
    db.session.execute(update(MerchantNameGram).where(MerchantNameGram.district == old).values(district=new))
    return {"shops": result.rowcount}


@areas.township_renamed.connect
def _rename_township(township, district: str, old: str, new: str) -> dict[str, int]:
    result = db.session.execute(update(Merchant).where(Merchant.district == district, Merchant.township == old)
                                .values(township=new, version=Merchant.version + 1, updated_at=utcnow())
                                .execution_options(synchronize_session="fetch"))
    return {"shops": result.rowcount}


def lock_shop(merchant: Merchant) -> None:
    """Serialise competing writes to one shop (a double-submitted form, two tabs).

    PostgreSQL takes a row lock until commit; on SQLite the write transaction (BEGIN IMMEDIATE)
    already excludes other writers, and FOR UPDATE is not emitted.
    """
    db.session.refresh(merchant, with_for_update=True)


def require_owner(merchant: Merchant, user: User) -> None:
    if merchant.owner_id != user.id:
        raise NotPermitted(_("这不是您的店铺。"))


def shop_for_owner(merchant_id: int, user: User) -> Merchant:
    """The shop with this id if `user` owns it; 404 if it does not exist, 403 if it is not theirs."""
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(_("没有找到这家店铺。"))
    require_owner(merchant, user)
    return merchant


def merchant_by_public_code(code: str) -> Merchant | None:
    """The public shop behind a QR code; pending shops are not public."""
    if not code or len(code) > 32:
        return None
    merchant = db.session.scalar(select(Merchant).where(Merchant.public_code == code.lower()))
    if merchant is None or not merchant.is_public:
        return None
    return merchant


def shops_of(user: User) -> list[Merchant]:
    return list(db.session.scalars(select(Merchant).where(Merchant.owner_id == user.id).order_by(Merchant.id)))


def set_standing(merchant: Merchant, new: str, reason: str | None, actor: User | None, cause: str, why: str,
                 now: datetime, **details) -> None:
    """Write the shop's stored standing and its public reason (the caller has locked the shop row).

    A change is kept twice: as a StandingChange row (`cause`, for reports) and in the audit chain
    (`why` and `details`, as the audit log has always said it).
    """
    old = merchant.standing
    merchant.standing, merchant.standing_reason = new, reason
    if old == new:
        return
    merchant.standing_changed_at = now
    if (old == Standing.PENDING.value) != (new == Standing.PENDING.value):
        # The shop enters (or leaves) public search: its grams say so (MerchantNameGram.listed).
        db.session.execute(update(MerchantNameGram).where(MerchantNameGram.merchant_id == merchant.id)
                           .values(listed=merchant.is_public))
    db.session.add(StandingChange(merchant_id=merchant.id, old=old, new=new, cause=cause, reason=reason, at=now,
                                  actor_id=actor.id if actor else None))
    db.session.flush()
    audit.record("merchant.standing_changed", merchant, actor, old=old, new=new, reason=why, **details)
