"""Filters and globals every template may use."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Flask, current_app, request
from flask_babel import get_locale

from registry.campaigns.labels import BATCH_STATUS_LABELS, FIELD_LABELS
from registry.complaints import labels as complaint_labels
from registry.badges.labels import OFFLINE_PROBLEM_LABELS
from registry.issuer import issuing_body
from registry.jobs import labels as job_labels
from registry.i18n import join_list
from registry.clock import today_in_china
from registry.phones import mask_mobile, mask_name
from registry.merchants.labels import (CATEGORY_LABELS, LICENCE_METHOD_LABELS, STANDING_EXPLANATIONS, STANDING_LABELS,
                                      what_was_checked_short)
from registry.moderation import labels as moderation_labels
from registry.ownership.labels import CLAIM_STATUS_LABELS
from registry.reports.figures import amount_in_words
from registry.clock import local_date, local_datetime
from registry.web import public_base_url


def yuan(cents: int | None) -> str:
    """Money is stored in fen (integer cents); shown as 1,234.50."""
    if cents is None:
        return ""
    return f"{cents / 100:,.2f}"


def from_json(text: str | None) -> dict:
    return json.loads(text) if text else {}


def iso_local_datetime(value: str | None) -> str:
    """An ISO timestamp kept in event data, shown as entered (staff type China time)."""
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


def install(app: Flask) -> None:
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(yuan, "yuan")
    app.add_template_filter(amount_in_words, "amount_in_words")
    app.add_template_filter(from_json, "fromjson")
    app.add_template_filter(iso_local_datetime, "isodatetime")
    app.add_template_filter(mask_name, "mask_name")
    app.add_template_filter(mask_mobile, "mask_mobile")
    app.add_template_filter(join_list, "join_list")
    app.add_template_filter(lambda code, labels: labels[code], "label")

    # Globals (not context variables) so that imported macros see them too.
    app.jinja_env.globals.update(
        CATEGORY_LABELS=CATEGORY_LABELS,
        STANDING_LABELS=STANDING_LABELS,
        STANDING_EXPLANATIONS=STANDING_EXPLANATIONS,
        COMPLAINT_CLAUSE_LABELS=complaint_labels.CLAUSE_LABELS,
        COMPLAINT_STATUS_LABELS=complaint_labels.STATUS_LABELS,
        COMPLAINT_CHANNEL_LABELS=complaint_labels.CHANNEL_LABELS,
        COMPLAINT_CONSENT_LABELS=complaint_labels.CONSENT_LABELS,
        DEMAND_LABELS=complaint_labels.DEMAND_LABELS,
        OUTCOME_LABELS=complaint_labels.OUTCOME_LABELS,
        REFUSAL_GROUND_LABELS=complaint_labels.REFUSAL_GROUND_LABELS,
        EVENT_LABELS=complaint_labels.EVENT_LABELS,
        # Moderation's: the staff pages, the owner's notice and the QR page's marks all use them.
        FLAG_KIND_LABELS=moderation_labels.FLAG_KIND_LABELS,
        FLAG_STATUS_LABELS=moderation_labels.FLAG_STATUS_LABELS,
        RULE_LABELS=moderation_labels.RULE_LABELS,
        RULE_EXPLANATIONS=moderation_labels.RULE_EXPLANATIONS,
        SANCTION_KIND_LABELS=moderation_labels.SANCTION_KIND_LABELS,
        SANCTION_STATUS_LABELS=moderation_labels.SANCTION_STATUS_LABELS,
        END_REASON_LABELS=moderation_labels.END_REASON_LABELS,
        APPEAL_STATUS_LABELS=moderation_labels.APPEAL_STATUS_LABELS,
        REPAIR_STATUS_LABELS=moderation_labels.REPAIR_STATUS_LABELS,
        CLAIM_STATUS_LABELS=CLAIM_STATUS_LABELS,
        BATCH_STATUS_LABELS=BATCH_STATUS_LABELS,
        FIELD_LABELS=FIELD_LABELS,
        today_in_china=today_in_china,
        LICENCE_METHOD_LABELS=LICENCE_METHOD_LABELS,
        what_was_checked_short=what_was_checked_short,
        OFFLINE_PROBLEM_LABELS=OFFLINE_PROBLEM_LABELS,
        JOB_KIND_LABELS=job_labels.KIND_LABELS,
        JOB_STATUS_LABELS=job_labels.STATUS_LABELS,
        job_progress_text=job_labels.progress_text,
        public_base_url=public_base_url,
    )
    from registry.pledges.labels import SIGNING_METHOD_LABELS

    app.jinja_env.globals["SIGNING_METHOD_LABELS"] = SIGNING_METHOD_LABELS

    @app.context_processor
    def request_globals():
        return {
            "issuer": issuing_body(),
            "current_locale": str(get_locale() or "zh"),
            "LANGUAGES": current_app.config["LANGUAGES"],
            "request_path": request.full_path.rstrip("?") if request else "/",
        }
