"""Every action code the product writes to the audit log has a name on the audit log page."""

from __future__ import annotations

import re
from pathlib import Path

from registry.audit.labels import ACTION_LABELS
from registry.complaints.states import TRANSITIONS
from registry.moderation.models import APPEAL_PENDING, APPEAL_STATUSES
from registry.moderation.sanctions import PROPOSAL_KINDS

REGISTRY = Path(__file__).resolve().parents[2] / "registry"
# audit.record("code", …) or audit.record(f"prefix.{…}", …), across a line break too.
RECORDED = re.compile(r"""\brecord\(\s*(f?)["']([a-z_.{}]+)["']""")
# The f-string codes, each with every value its placeholder takes.
EXPANSIONS = {
    "complaint.{action}": [f"complaint.{action}" for action in TRANSITIONS],
    "appeal.{appeal.status}": [f"appeal.{status}" for status in APPEAL_STATUSES if status != APPEAL_PENDING],
    "sanction.{sanction.kind}_rejected": [f"sanction.{kind}_rejected" for kind in PROPOSAL_KINDS],
}


def recorded_codes() -> set[str]:
    codes = set()
    for path in REGISTRY.rglob("*.py"):
        for is_template, code in RECORDED.findall(path.read_text(encoding="utf-8")):
            if is_template:
                assert code in EXPANSIONS, f"{path}: name the values of {code} in EXPANSIONS"
                codes.update(EXPANSIONS[code])
            else:
                codes.add(code)
    return codes


def test_the_scan_finds_the_codes_of_every_area():
    codes = recorded_codes()
    assert {"sanction.revocation_approved", "flag.actioned", "complaint.record_mediated", "appeal.granted",
            "merchant.standing_changed", "user.role_changed"} <= codes


def test_every_recorded_action_has_a_name():
    missing = sorted(code for code in recorded_codes() if code not in ACTION_LABELS)
    assert missing == []
