"""Public records as JSON-ready dicts: exactly what the QR page shows, and nothing more.

Never here: consumer names, phones or complaint descriptions (only the summary staff published and the
shop's public replies), evidence, the shop owner's name and contact phone, signer names, internal notes.
The open-data export uses the same functions, so the API and the files say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _

from registry.complaints.labels import CLAUSE_LABELS, OUTCOME_LABELS, STATUS_LABELS
from registry.issuer import issuing_body
from registry.merchants.labels import CATEGORY_LABELS, STANDING_EXPLANATIONS, STANDING_LABELS, what_was_checked
from registry.merchants.models import Merchant, Standing
from registry.moderation.labels import SANCTION_KIND_LABELS
from registry.moderation.models import ENDED, SUSPENSION, Sanction
from registry.moderation.standings import last_repair
from registry.merchants.standing import LAPSE_NOT_RESIGNED, Lapse
from registry.clock import CHINA, iso_china_date
from registry.web import public_base_url


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def shop_page_url(merchant: Merchant) -> str:
    """The shop's QR page, as printed on its badge."""
    return f"{public_base_url()}/m/{merchant.public_code}"


# --- Standing ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StandingWords:
    """The reason and dates the QR page prints under a shop's standing (moderation/_standing_words.html)."""

    reason: str | None
    since: str | None
    until: str | None
    until_rectified: bool


def _lapse_reason(lapse: Lapse | None, merchant: Merchant) -> str | None:
    """The words of pledges/_lapse_reason.html."""
    if lapse is not None and lapse.reason == LAPSE_NOT_RESIGNED:
        return _("未在 %(date)s 前签署第 %(number)d 版倡议书。",
                 date=lapse.since.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), number=lapse.version_number)
    if lapse is not None and lapse.since is not None:
        return _("承诺已于 %(date)s 到期，未续签。", date=iso_china_date(lapse.since))
    if lapse is not None:
        return _("没有有效的签署记录。")
    return merchant.standing_reason or None


def standing_words(merchant: Merchant, standing: str, sanction: Sanction | None, lapse: Lapse | None) -> StandingWords:
    """Why a shop has the standing it is shown with, in public words (None for an active shop)."""
    if standing == Standing.LAPSED.value:
        return StandingWords(_lapse_reason(lapse, merchant), iso_china_date(lapse.since) if lapse else None, None, False)
    if standing not in (Standing.WARNED.value, Standing.SUSPENDED.value, Standing.REVOKED.value):
        return StandingWords(None, None, None, False)
    if sanction is not None:
        return StandingWords(sanction.public_reason or None, iso_china_date(sanction.starts_at or sanction.issued_at),
                             iso_date(sanction.last_day), bool(sanction.until_rectified))
    return StandingWords(merchant.standing_reason or None, iso_china_date(merchant.standing_changed_at), None, False)


# --- Shops ------------------------------------------------------------------------------------------

def shop_registry_fields(merchant: Merchant) -> dict:
    """The shop's public registry data (never the owner's name or phone), as the API and the
    open-data files both give it."""
    return {
        "name": merchant.name,
        "credit_code": merchant.credit_code,
        "category": merchant.category,
        "category_label": str(CATEGORY_LABELS[merchant.category]),
        "district": merchant.district,
        "township": merchant.township,
        "address": merchant.address,
    }


def shop_summary(merchant: Merchant, standing: str, repaired_at: datetime | None = None) -> dict:
    """One shop in a list: what the search page shows, plus where to read more. `repaired_at`:
    moderation.standings.ShopStanding.repaired_at (a mark ended early by credit repair)."""
    return {
        "code": merchant.public_code,
        **shop_registry_fields(merchant),
        "standing": standing,
        "standing_label": str(STANDING_LABELS[standing]),
        "repaired_on": iso_china_date(repaired_at) if repaired_at else None,
        # What the badge means (self-declared pledge, code format checked, licence verified or not).
        "licence_verified_on": iso_date(merchant.licence_verified_on),
        "checked": what_was_checked(merchant.licence_verified_on, issuing_body().short_name),
        "page_url": shop_page_url(merchant),
        "api_url": url_for("api.shop", code=merchant.public_code),
    }


def pledge(signature, text) -> dict | None:
    """The signed pledge (text: pledges.queries.PublishedText of the signed version)."""
    if signature is None or text is None:
        return None
    return {
        "title": text.title,
        "version": text.number,
        "signed_on": iso_china_date(signature.signed_at),
        "expires_on": iso_china_date(signature.expires_at),
        "certificate_url": url_for("pledges.certificate", code=signature.certificate_code),
        "clauses": [{"number": c.number, "kind": c.kind, "text": c.text, "text_en": c.text_en}
                    for c in text.clauses],
    }


def badge(current) -> dict | None:
    if current is None:
        return None
    return {"serial": current.serial, "issued_on": iso_china_date(current.issued_at)}


def sanction_mark(sanction: Sanction, now: datetime) -> dict:
    """A sanction as the QR page's 处理记录 lists it."""
    return {
        "kind": sanction.kind,
        "kind_label": str(SANCTION_KIND_LABELS[sanction.kind]),
        "clause": sanction.clause_kind,
        "clause_label": str(CLAUSE_LABELS[sanction.clause_kind]) if sanction.clause_kind else None,
        "reason": sanction.public_reason,
        "starts_on": iso_china_date(sanction.starts_at or sanction.issued_at),
        "until": iso_date(sanction.last_day) if sanction.kind == SUSPENSION else None,
        "until_rectified": bool(sanction.until_rectified) if sanction.kind == SUSPENSION else False,
        "ended_on": iso_china_date(sanction.ended_at) if sanction.status == ENDED else None,
        "end_reason": sanction.end_reason if sanction.status == ENDED else None,
        # A credit repair (信用修复) granted on this day ended the mark early.
        "repaired_on": iso_china_date(sanction.repaired_at) if sanction.repaired_at else None,
        "in_force": sanction.in_force_at(now),
        **shop_statement(sanction),
    }


def shop_statement(sanction: Sanction) -> dict:
    """The shop's statement beside the mark as the public reads it: the text once published, or the
    reason staff hid it (moderation.statements); a statement held for review is not shown yet."""
    statement = sanction.statement
    if statement is None or statement.held_for_review:
        return {"shop_statement": None, "shop_statement_hidden_reason": None}
    if statement.hidden_reason is not None:
        return {"shop_statement": None, "shop_statement_hidden_reason": statement.hidden_reason}
    return {"shop_statement": statement.body, "shop_statement_hidden_reason": None}


def figures(shop_figures) -> dict:
    return {
        "period_days": 365,
        "accepted": shop_figures.accepted,
        "resolved": shop_figures.resolved,
        "concluded": shop_figures.concluded,
        "resolved_percent": shop_figures.resolved_share,
        "median_reply_days": shop_figures.median_reply_days,
        "by_clause": dict(sorted(shop_figures.by_clause.items())),
    }


def shop_detail(page, now: datetime) -> dict:
    """The QR page as data (page: lookup.queries.ShopPage)."""
    words = standing_words(page.merchant, page.standing, page.sanction, page.lapse)
    detail = shop_summary(page.merchant, page.standing, last_repair(page.marks))
    detail.update({
        "standing_explanation": str(STANDING_EXPLANATIONS[page.standing]),
        "standing_reason": words.reason,
        "standing_since": words.since,
        "standing_until": words.until,
        "standing_until_rectified": words.until_rectified,
        "pledge": pledge(page.signature, page.pledge),
        "badge": badge(page.badge),
        "sanctions": [sanction_mark(s, now) for s in page.marks],
        "figures": figures(page.figures),
        "complaints_url": url_for("api.shop_complaints", code=page.merchant.public_code),
    })
    return detail


# --- Complaints -------------------------------------------------------------------------------------

def public_complaint(complaint, events) -> dict:
    """A published complaint: clause, date, status, the summary staff wrote, and the shop's replies."""
    return {
        "clause": complaint.clause_kind,
        "clause_label": str(CLAUSE_LABELS[complaint.clause_kind]),
        "published_on": iso_china_date(complaint.decided_at),
        "status": complaint.status,
        "status_label": str(STATUS_LABELS[complaint.status]),
        "outcome": complaint.outcome,
        "outcome_label": str(OUTCOME_LABELS[complaint.outcome]) if complaint.outcome else None,
        "summary": complaint.public_summary,
        "replies": [{"date": iso_china_date(e.created_at), "text": e.public_text}
                    for e in events if e.kind == "merchant_replied"],
    }
