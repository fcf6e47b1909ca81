"""The audit log's one table of names for the codes recorded with an action: standings, a case's
states, sanction and flag kinds, roles. Each name is the owning package's own label (its labels.py);
the action names themselves are `registry/audit/labels.py`. The audit package sits below every other
and cannot read their labels, so the read side hands these to `audit.presentation.readable_data`."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from registry.auth.forms import ROLE_LABELS
from registry.complaints.labels import CHANNEL_LABELS, CLAUSE_LABELS, OUTCOME_LABELS, STATUS_LABELS
from registry.merchants.labels import CATEGORY_LABELS, LICENCE_METHOD_LABELS, STANDING_LABELS
from registry.moderation.labels import (APPEAL_STATUS_LABELS, END_REASON_LABELS, FLAG_KIND_LABELS, RULE_LABELS,
                                        SANCTION_KIND_LABELS)

# Why a standing changed, as the services that change it record it (merchants.services.set_standing's `why`).
STANDING_CHANGE_REASONS = {
    "pledge signed": _l("签署倡议书"),
    "expired": _l("承诺到期"),
    "not re-signed": _l("未按期重新签署倡议书"),
    "warning issued": _l("公开警示"),
    "suspended": _l("暂停诚信码"),
    "revoked": _l("撤销承诺"),
    "sanction ended": _l("处理期限结束"),
    "appeal granted": _l("申诉成立"),
    "reinstated; must sign again": _l("整改后恢复，须重新签署倡议书"),
    "credit repair granted": _l("准予信用修复"),
    "credit repair granted; must sign again": _l("准予信用修复，须重新签署倡议书"),
}

# An action (or every action starting with the prefix) → data key → the names of its codes.
VALUE_LABELS: dict[str, dict[str, Mapping[str, object]]] = {
    "merchant.standing_changed": {"old": STANDING_LABELS, "new": STANDING_LABELS, "reason": STANDING_CHANGE_REASONS},
    "merchant.": {"category": CATEGORY_LABELS},
    "complaint.": {"old": STATUS_LABELS, "new": STATUS_LABELS, "outcome": OUTCOME_LABELS, "clause": CLAUSE_LABELS,
                   "channel": CHANNEL_LABELS},
    "sanction.ended": {"kind": SANCTION_KIND_LABELS, "reason": END_REASON_LABELS},
    "sanction.": {"kind": SANCTION_KIND_LABELS, "clause": CLAUSE_LABELS},
    "appeal.": {"status": APPEAL_STATUS_LABELS},
    "flag.": {"kind": FLAG_KIND_LABELS, "rule": RULE_LABELS},
    "flag_rule.": {"code": RULE_LABELS},
    "user.role_changed": {"old": ROLE_LABELS, "new": ROLE_LABELS},
    "user.": {"role": ROLE_LABELS},
    "licence.": {"method": LICENCE_METHOD_LABELS},
}


def value_labels(action: str) -> dict[str, Mapping[str, object]]:
    """The names for one action's recorded codes: its own entry over its prefix's."""
    names: dict[str, Mapping[str, object]] = {}
    for key in sorted((k for k in VALUE_LABELS if action == k or (k.endswith(".") and action.startswith(k))),
                      key=len):
        names.update(VALUE_LABELS[key])
    return names
