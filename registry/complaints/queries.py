"""Read-only queries over complaints for the owner's list, the staff queue and the public page."""

from __future__ import annotations

import functools


from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from registry.auth.access import in_district
from registry.auth.models import User
from registry.complaints import figures, states
from registry.complaints.figures import ShopFigures
from registry.complaints.models import CallBack, Complaint, ComplaintEvent, UnlistedBusiness
from registry.extensions import db
from registry.merchants.models import Merchant


# Where a complaint's business is: the registered shop's district, or the unlisted business's. Every
# staff query scopes by it (auth.access.in_district), and the figures break counts down by it.
PLACE_DISTRICT = func.coalesce(Merchant.district, UnlistedBusiness.district)
PLACE_TOWNSHIP = func.coalesce(Merchant.township, UnlistedBusiness.township, "")


def with_place(statement):
    """`statement` over complaints joined to their shop or unlisted business (either may be missing)."""
    return (statement.outerjoin(Merchant, Complaint.merchant_id == Merchant.id)
            .outerjoin(UnlistedBusiness, Complaint.business_id == UnlistedBusiness.id))


def scoped(statement, staff: User):
    """`statement` over complaints limited to the officer's district."""
    return in_district(with_place(statement), staff, PLACE_DISTRICT)


def complaints_for_owner(owner: User, page: int, per_page: int = 20):
    statement = (
        select(Complaint).join(Merchant, Complaint.merchant_id == Merchant.id)
        .where(Merchant.owner_id == owner.id, Complaint.decided_at.is_not(None),
               Complaint.status.not_in(states.UNCOUNTED_STATUSES))
        .order_by(case((Complaint.status.in_(states.OPEN_STATUSES), 0), else_=1), Complaint.filed_at.desc())
    )
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def staff_queue(staff: User, view: str, page: int, per_page: int = 30, merchant_id: int | None = None):
    """Open complaints, most urgent legal clock first; `view` picks new / in progress / closed;
    `merchant_id` keeps one shop's."""
    statement = scoped(select(Complaint), staff)
    if merchant_id is not None:
        statement = statement.where(Complaint.merchant_id == merchant_id)
    if view == "new":
        statement = statement.where(Complaint.status == states.FILED).order_by(Complaint.due_date, Complaint.id)
    elif view == "open":
        statement = statement.where(Complaint.status.in_(states.OPEN_STATUSES[1:])) \
            .order_by(Complaint.due_date, Complaint.id)
    else:
        statement = statement.where(Complaint.status.in_(states.FINAL_STATUSES)) \
            .order_by(Complaint.closed_at.desc(), Complaint.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def queue_counts(staff: User, merchant_id: int | None = None) -> dict[str, int]:
    statement = scoped(select(Complaint.status, func.count()).select_from(Complaint), staff)
    if merchant_id is not None:
        statement = statement.where(Complaint.merchant_id == merchant_id)
    counts = dict(db.session.execute(statement.group_by(Complaint.status)).all())
    return {
        "new": counts.get(states.FILED, 0),
        "open": sum(counts.get(s, 0) for s in states.OPEN_STATUSES[1:]),
        "closed": sum(counts.get(s, 0) for s in states.FINAL_STATUSES),
    }


def shop_complaints(staff: User, merchant_id: int, limit: int) -> tuple[list[Complaint], int]:
    """One shop's newest complaints in the officer's district (every status), and how many there are."""
    statement = scoped(select(Complaint), staff).where(Complaint.merchant_id == merchant_id)
    total = db.session.scalar(statement.with_only_columns(func.count(Complaint.id)).order_by(None))
    newest = db.session.scalars(statement.order_by(Complaint.filed_at.desc(), Complaint.id.desc()).limit(limit))
    return list(newest), total or 0


def case_ids(staff: User, tracking_numbers: list[str]) -> dict[str, int]:
    """The ids of the officer's cases among these tracking numbers (for links; others stay plain text)."""
    if not tracking_numbers:
        return {}
    statement = scoped(select(Complaint.tracking_number, Complaint.id), staff)
    return dict(db.session.execute(statement.where(Complaint.tracking_number.in_(tracking_numbers[:50]))).all())


def held_replies(staff: User) -> list[ComplaintEvent]:
    """Shop replies waiting for staff because personal data was found in them, oldest first."""
    statement = (select(ComplaintEvent).join(Complaint, ComplaintEvent.complaint_id == Complaint.id)
                 .where(ComplaintEvent.held_for_review.is_(True)).order_by(ComplaintEvent.id))
    return list(db.session.scalars(scoped(statement, staff)))


PUBLIC_COMPLAINTS_ON_PAGE = 20


@functools.cache
def _public_complaints_statement():
    """Built once per process (see lookup.queries._shop_page_statement); run with merchant_id."""
    newest = (select(Complaint.id)
              .where(Complaint.merchant_id == bindparam("merchant_id"), Complaint.decided_at.is_not(None),
                     Complaint.status.not_in(states.UNCOUNTED_STATUSES))
              .order_by(Complaint.decided_at.desc(), Complaint.id.desc()).limit(PUBLIC_COMPLAINTS_ON_PAGE)
              .subquery())
    return (
        select(Complaint, ComplaintEvent)
        .join(newest, newest.c.id == Complaint.id)
        .outerjoin(ComplaintEvent, and_(ComplaintEvent.complaint_id == Complaint.id,
                                        ComplaintEvent.is_public.is_(True)))
        .options(load_only(Complaint.id, Complaint.merchant_id, Complaint.clause_kind, Complaint.status,
                           Complaint.outcome, Complaint.public_summary, Complaint.decided_at, raiseload=True),
                 lazyload("*"))  # none of their relationships (timeline, photos) is shown
        .order_by(Complaint.decided_at.desc(), Complaint.id.desc(), ComplaintEvent.id)
    )


def public_complaints_with_replies(merchant_id: int) -> tuple[list[Complaint], dict[int, list[ComplaintEvent]]]:
    """The shop's newest accepted (published) complaints, newest first, with their public replies, in
    one statement (the QR page's third and last). Only the columns the page shows are read: never the
    consumer's words or contact."""
    complaints: list[Complaint] = []
    replies: dict[int, list[ComplaintEvent]] = {}
    for complaint, event in db.session.execute(_public_complaints_statement(), {"merchant_id": merchant_id}):
        if complaint.id not in replies:
            complaints.append(complaint)
            replies[complaint.id] = []
        if event is not None:
            replies[complaint.id].append(event)
    return complaints, replies


def duplicates_of(complaint: Complaint) -> list[Complaint]:
    """The complaints marked as duplicates of this one (shown on its staff page)."""
    return list(db.session.scalars(select(Complaint).where(Complaint.duplicate_of_id == complaint.id)
                                   .order_by(Complaint.id)))


def shop_figures(merchant: Merchant) -> ShopFigures:
    """The shop's last 12 months computed from its cases now (the QR page reads the stored row)."""
    return figures.compute([merchant.id]).get(merchant.id, ShopFigures())


def cases_filed_with(phone: str, limit: int = 100) -> list[Complaint]:
    """The complaints filed with `phone`, newest first ("我的投诉", shown only after an SMS code to it)."""
    return list(db.session.scalars(
        select(Complaint).where(Complaint.consumer_phone == phone)
        .options(joinedload(Complaint.merchant), lazyload(Complaint.events))
        .order_by(Complaint.filed_at.desc(), Complaint.id.desc()).limit(limit)))
def callbacks_of(complaint: Complaint) -> list[CallBack]:
    """The staff call-backs (回访) of a case, oldest first, for the staff case page only."""
    return list(db.session.scalars(select(CallBack).where(CallBack.complaint_id == complaint.id)
                                   .order_by(CallBack.called_at, CallBack.id)))
