"""Reports stored by `flask reports snapshot` (daily), read by /stats and the statistics API.

At province scale a year's report reads every complaint of the year (seconds to tens of seconds);
a public page cannot do that per view. The daily job stores this year's and last year's whole-area
reports; readers take the stored one while it is fresh enough and otherwise compute it themselves
(a small registry, or a job that has not run yet). Readers never write: a page view in a read
transaction must not take the write lock.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, insert

from registry.auth.models import User
from registry.clock import today_in_china, utcnow
from registry.database import slow_work
from registry.errors import NotPermitted
from registry.jobs import services as jobs
from registry.jobs.models import Job
from registry.jobs.services import Outcome, Progress
from registry.extensions import db
from registry.reports.figures import Report, build_report
from registry.reports.periods import public_year_period
from registry.reports.models import ReportSnapshot

# A stored report is used for a day and a bit (the job runs daily; a late run must not make every
# page view recount).
MAX_AGE = timedelta(hours=26)


def snapshot_key(start: date, end: date, district: str | None) -> str:
    return f"{start.isoformat()}|{end.isoformat()}|{district or ''}"


def _to_json(report: Report) -> str:
    data = asdict(report)
    data["start"], data["end"] = report.start.isoformat(), report.end.isoformat()
    data["generated_at"] = report.generated_at.isoformat()
    data["satisfaction_counts"] = {str(k): v for k, v in report.satisfaction_counts.items()}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _from_json(text: str) -> Report:
    data = json.loads(text)
    data["start"], data["end"] = date.fromisoformat(data["start"]), date.fromisoformat(data["end"])
    data["generated_at"] = datetime.fromisoformat(data["generated_at"])
    data["by_township"] = [tuple(row) for row in data["by_township"]]
    data["acceptance_by_township"] = [tuple(row) for row in data["acceptance_by_township"]]
    data["satisfaction_counts"] = {int(k): v for k, v in data["satisfaction_counts"].items()}
    known = {f.name for f in fields(Report)}
    if known - set(data):
        # Written before a figure was added: a default (0) would be published as if counted.
        raise KeyError(sorted(known - set(data)))
    return Report(**{k: v for k, v in data.items() if k in known})


def stored_report(start: date, end: date, district: str | None, now: datetime | None = None) -> Report | None:
    """The stored report for exactly this period, if the job made it less than MAX_AGE ago."""
    now = now or utcnow()
    row = db.session.get(ReportSnapshot, snapshot_key(start, end, district))
    if row is None or row.computed_at < now - MAX_AGE:
        return None
    try:
        return _from_json(row.payload)
    except (ValueError, KeyError, TypeError):
        return None  # written by an older version of Report: compute instead


def report_for(start: date, end: date, district: str | None = None) -> Report:
    """The stored report when there is a fresh one, else computed now."""
    return stored_report(start, end, district) or build_report(start, end, district)


def store(reports: list[Report], now: datetime | None = None) -> None:
    """Replace the stored reports for these periods (in the caller's transaction)."""
    now = now or utcnow()
    keys = [snapshot_key(r.start, r.end, r.district) for r in reports]
    db.session.execute(delete(ReportSnapshot).where(ReportSnapshot.key.in_(keys)))
    db.session.execute(insert(ReportSnapshot), [
        {"key": key, "computed_at": now, "payload": _to_json(report)} for key, report in zip(keys, reports)])
    # Periods nobody asks for any more (last year's "year to date" keys): dropped after a month.
    db.session.execute(delete(ReportSnapshot).where(ReportSnapshot.computed_at < now - timedelta(days=31)))


def snapshot_public_years(today: date, now: datetime | None = None) -> list[Report]:
    """The daily job: this year (to date) and last year, whole area, as /stats shows them."""
    reports = count_public_years(today)
    store(reports, now)
    return reports


def count_public_years(today: date) -> list[Report]:
    """This year (to date) and last year, whole area, counted; reads only (seconds at scale)."""
    return [build_report(p.start, p.end, None)
            for p in (public_year_period(today.year, today), public_year_period(today.year - 1, today))]


# --- Run from the staff pages, as a job ------------------------------------------------------------

SNAPSHOT_KIND = "reports.snapshot"


def start_snapshot(staff: User) -> Job:
    """Queue a recount now, besides the daily timer's (administrators; flushed, submit after the commit)."""
    if not staff.is_admin:
        raise NotPermitted(_("只有管理员可以立即更新公开统计数字。"))
    return jobs.start(SNAPSHOT_KIND, snapshot_job, staff)


def snapshot_job(progress: Progress) -> Outcome:
    """The job: count from a read snapshot (seconds at scale, no write lock), then store in one short write."""
    progress.stage("counting")
    with slow_work():
        reports = count_public_years(today_in_china())
    store(reports)
    return Outcome({"years": [{"start": r.start.isoformat(), "end": r.end.isoformat(),
                               "received": r.complaints_received} for r in reports]})
