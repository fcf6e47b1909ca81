"""What gets printed: posters for a chosen set of shops, and a batch's invitation letters in parts,
with a record of each run."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from registry.audit import services as audit
from registry.auth.models import User
from registry.badges.posters import PosterItem
from registry.badges.services import badge_url, current_badge
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.clock import utcnow
from registry.errors import DomainError
from registry.extensions import db
from registry.merchants.models import Merchant, Standing

from registry.merchants.standing import assess
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import latest_signatures, pledge_facts
from registry.pledges.versions import current_version

from registry.campaigns.claims import IN_LIST_CHUNK, invitations_of
from registry.campaigns.imports import require_batch_scope, require_staff

# One PDF of posters is printed in one go; larger runs are split by township or batch.
MAX_POSTERS_PER_PDF = 500
LETTERS_PER_PDF = 500

# --- Printing ------------------------------------------------------------------------------------

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
        shops = list(db.session.scalars(query.offset(offset).limit(IN_LIST_CHUNK)))
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
