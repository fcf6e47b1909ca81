"""An audit entry's recorded facts as short labelled lines a person can read."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from flask_babel import gettext as _

from registry.audit.labels import KEY_LABELS
from registry.audit.models import AuditEntry

# A mainland mobile number standing alone (not part of a longer code such as a credit code).
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)(\d{4})(\d{4})(?![0-9A-Za-z])")


def mask_mobiles(text: str) -> str:
    """138****1234 for any mobile number: the audit log is read by many staff and none needs one."""
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


# For one entry: a data key → the names of the codes recorded under it (a standing, a state, a kind).
ValueNames = Mapping[str, Mapping[str, object]]


def _value(value, names: Mapping[str, object] | None = None, nested: ValueNames | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        if len(value) == 2 and not any(isinstance(v, (list, dict)) for v in value):
            return f"{_value(value[0], names)} → {_value(value[1], names)}"
        return "、".join(_value(v, names) for v in value)
    if isinstance(value, dict):
        nested = nested or {}
        return "；".join(f"{KEY_LABELS.get(k, k)}：{_value(value[k], nested.get(k), nested)}"
                        for k in sorted(value, key=_key_order))
    if names and isinstance(value, str) and value in names:
        return str(names[value])
    return mask_mobiles(str(value))


def readable_data(entry: AuditEntry, value_names: ValueNames | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs for each recorded fact; old → new for changes. `value_names` names the
    codes recorded under a key (the read side knows every package's labels; this package does not)."""
    value_names = value_names or {}
    try:
        data = json.loads(entry.data or "{}")
    except ValueError:
        return [(_("数据"), mask_mobiles(entry.data))]
    if not isinstance(data, dict):
        return [(_("数据"), _value(data))]
    return [(str(KEY_LABELS.get(key, key)), _value(data[key], value_names.get(key), value_names))
            for key in sorted(data, key=_key_order)]


def _key_order(key: str) -> tuple[int, str]:
    # "from → to" reads best with the old value first; the rest alphabetically, as stored.
    return ({"old": 0, "new": 1}.get(key, 2), key)
