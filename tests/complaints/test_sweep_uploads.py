"""`flask sweep-uploads`: photos that a killed or failed filing wrote, and no row names, are deleted."""

from __future__ import annotations

import io
import os
import time

from registry.uploads import process_image
from registry.complaints.models import EvidencePhoto
from registry.extensions import db

from .helpers import file, jpeg_bytes

HOUR = 3600


def _aged(path, seconds: float):
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_old_unrecorded_photos_are_deleted_and_nothing_else(app, world, evidence_dir, runner):
    complaint, _token = file(world.shop, photos=[process_image(io.BytesIO(jpeg_bytes()), "IMG_1.JPG")])
    kept = evidence_dir / db.session.scalar(db.select(EvidencePhoto.stored_name))
    _aged(kept, 2 * HOUR)  # recorded: stays, however old
    orphan = evidence_dir / ("a" * 32 + ".jpg")  # a killed filing's photo: no row names it
    orphan.write_bytes(b"x")
    _aged(orphan, 2 * HOUR)
    half_written = evidence_dir / ("b" * 32 + ".jpg.part")
    half_written.write_bytes(b"x")
    _aged(half_written, 2 * HOUR)
    young = evidence_dir / ("c" * 32 + ".jpg")
    young.write_bytes(b"x")  # its filing may still be committing
    not_ours = evidence_dir / "notes.txt"
    not_ours.write_bytes(b"x")
    _aged(not_ours, 2 * HOUR)
    ancient = evidence_dir / ("d" * 32 + ".jpg")
    ancient.write_bytes(b"x")
    _aged(ancient, 30 * 24 * HOUR)

    daily = runner.invoke(args=["sweep-uploads"])

    assert daily.exit_code == 0, daily.output
    assert "2 orphaned upload file(s) deleted." in daily.output
    assert not orphan.exists() and not half_written.exists()
    assert kept.exists() and young.exists() and not_ours.exists() and ancient.exists()
    assert complaint.photos and db.session.scalar(db.select(db.func.count(EvidencePhoto.id))) == 1

    dry = runner.invoke(args=["sweep-uploads", "--all", "--dry-run"])
    assert "1 orphaned upload file(s) found." in dry.output and ancient.exists()
    whole = runner.invoke(args=["sweep-uploads", "--all"])
    assert "1 orphaned upload file(s) deleted." in whole.output and not ancient.exists() and kept.exists()
