"""The audit checkpoint published with the open-data files: checkpoint-YYYY-MM-DD.json, and the public
keys that verify it (audit-key.pub: the current key; audit-keys.json: every key with its validity dates).

Checkpoints are never pruned: each is a few hundred bytes, and an old one still proves the log once
held what it recorded. The web process only reads these files; it never holds the private key.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

from registry.audit import checkpoints as anchoring

CHECKPOINT_NAME = re.compile(r"checkpoint-([0-9]{4}-[0-9]{2}-[0-9]{2})\.json")
PUBLIC_KEY_FILE = "audit-key.pub"
KEYS_FILE = "audit-keys.json"


def write(directory: Path, day: date, now: datetime, key: anchoring.SigningKey, atomic) -> dict:
    """Sign the log's head as of now and write the checkpoint and the public keys beside the export files."""
    document = anchoring.make_checkpoint(key, now)
    with atomic(directory / f"checkpoint-{day.isoformat()}.json", "w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    with atomic(directory / PUBLIC_KEY_FILE, "w", encoding="utf-8") as handle:
        handle.write(anchoring.public_pem(key.public))
    keys = [published.as_dict() for published in anchoring.published_keys(key)]
    with atomic(directory / KEYS_FILE, "w", encoding="utf-8") as handle:
        handle.write(json.dumps({"current": keys[0]["key_id"], "development_key": key.development, "keys": keys},
                                ensure_ascii=False, indent=1) + "\n")
    return document


def names(directory: Path) -> list[str]:
    """The checkpoint files present, the newest first."""
    if not directory.is_dir():
        return []
    return sorted((path.name for path in directory.iterdir() if CHECKPOINT_NAME.fullmatch(path.name)), reverse=True)


def latest(directory: Path) -> tuple[str, dict] | None:
    """(file name, checkpoint) of the newest checkpoint, or None before the first export."""
    for name in names(directory):
        try:
            return name, json.loads((directory / name).read_text("utf-8"))
        except ValueError:
            continue
    return None


def published_keys(directory: Path) -> dict | None:
    try:
        return json.loads((directory / KEYS_FILE).read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
