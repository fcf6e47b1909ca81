"""The daily open-data export: every public shop's standing and every sanction the QR pages still show,
as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese) and JSON.

What a file holds is what the QR pages show (the API's serializers decide it), never a consumer's or an
owner's personal data. Shops are read in keyset batches and every row is written as it is made, so the
export runs in constant memory at 10⁶ shops. Each file is written to a temporary name beside it and
renamed when complete, so a download never sees half a file. Files of the last KEEP_DAYS days are kept.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.api import serializers
from registry.audit.checkpoints import CheckpointKeyInvalid, CheckpointKeyMissing
from registry.auth.models import User
from registry.database import slow_work
from registry.errors import Conflict, DomainError, NotPermitted
from registry.jobs import services as jobs
from registry.jobs.models import Job
from registry.jobs.services import Outcome, Progress
from registry.audit import checkpoints as anchoring
from registry.opendata import checkpoints
from registry.badges.models import Badge
from registry.clock import china_date, iso_china_date, iso_china_datetime, utcnow
from registry.extensions import db
from registry.merchants.labels import STANDING_LABELS
from registry.merchants.models import Merchant, Standing
from registry.moderation.labels import SANCTION_KIND_LABELS
from registry.moderation.models import REINSTATEMENT, Sanction
from registry.moderation.standings import shop_standings
from registry.complaints.labels import CLAUSE_LABELS
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import latest_signatures
from registry.text import spreadsheet_cell

KEEP_DAYS = 30
BATCH = 1000
MANIFEST = "index.json"
FILE_NAME = re.compile(r"(standings|sanctions)-([0-9]{4}-[0-9]{2}-[0-9]{2})\.(csv|json)")
LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"

# The data dictionary: every column, in file order, with what it means (shown on /open-data).
SHOP_FIELDS = (
    ("public_code", _l("店铺公开代码；扫码页面的网址是 /m/ 加上这个代码")),
    ("name", _l("店铺名称")),
    ("credit_code", _l("统一社会信用代码")),
    ("category", _l("类别代码（supermarket、catering、food、liquor、cosmetics、clothing、appliances、services、other）")),
    ("category_label", _l("类别名称")),
    ("district", _l("区县")),
    ("township", _l("乡镇（街道）")),
    ("address", _l("地址")),
    ("standing", _l("导出时的公示状态：active 有效承诺、warned 警示、suspended 暂停、revoked 已撤销、lapsed 已过期")),
    ("standing_label", _l("公示状态名称")),
    ("standing_reason", _l("警示、暂停、撤销或过期的公开原因（有效承诺时为空）")),
    ("standing_since", _l("该状态的起始日期")),
    ("standing_until", _l("有期限的暂停或警示公示的最后一天")),
    ("pledge_version", _l("最近签署的倡议书版本号")),
    ("pledge_signed_on", _l("签署日期")),
    ("pledge_expires_on", _l("承诺到期日期")),
    ("badge_serial", _l("当前有效的诚信码编号")),
    ("badge_issued_on", _l("诚信码签发日期")),
    ("page_url", _l("扫码页面网址")),
)
SANCTION_FIELDS = (
    ("shop_code", _l("店铺公开代码（对应店铺表的 public_code）")),
    ("kind", _l("种类：warning 警示、suspension 暂停、revocation 撤销、reinstatement 恢复")),
    ("kind_label", _l("种类名称")),
    ("clause", _l("违反的承诺条款种类（可为空）")),
    ("clause_label", _l("条款名称")),
    ("reason", _l("公开原因")),
    ("starts_on", _l("开始日期")),
    ("until", _l("暂停的最后一天（整改后恢复或不限期时为空）")),
    ("until_rectified", _l("是否暂停至整改完成（true/false）")),
    ("ended_on", _l("提前结束的日期（可为空）")),
    ("status", _l("导出时的状态：in_force 生效中、ended 已结束或已到期、recorded 恢复记录")),
    ("end_reason", _l("结束原因：expired 到期、reinstated 整改后恢复、appeal_granted 申诉成立、repaired 信用修复提前结束（可为空）")),
    ("repaired_on", _l("经信用修复提前结束的日期（可为空）")),
    ("shop_statement", _l("店铺在这条记录旁发表的说明（可为空）")),
    ("shop_statement_hidden_reason", _l("店铺说明被工作人员隐藏时的公开原因（可为空）")),
)


class ExportRunning(RuntimeError):
    """Another process holds the export lock."""


@dataclass
class ExportFile:
    name: str
    date: str
    bytes: int
    rows: int
    sha256: str
    generated_at: str

    @property
    def table(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def format(self) -> str:
        return self.name.rsplit(".", 1)[1]


@dataclass
class Manifest:
    last_run: str | None
    files: list[ExportFile]

    def for_date(self, day: date) -> list[ExportFile]:
        return [f for f in self.files if f.date == day.isoformat()]

    def get(self, name: str) -> ExportFile | None:
        return next((f for f in self.files if f.name == name), None)


def export_directory() -> Path:
    configured = current_app.config.get("OPENDATA_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "opendata"


# --- Reading what exists (the public page never generates anything) ----------------------------------

def read_manifest(directory: Path | None = None) -> Manifest:
    path = (directory or export_directory()) / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return Manifest(None, [])
    files = [ExportFile(**entry) for entry in data.get("files", []) if FILE_NAME.fullmatch(entry.get("name", ""))]
    files.sort(key=lambda f: (f.date, f.name), reverse=True)
    return Manifest(data.get("last_run"), files)


def _write_manifest(directory: Path, manifest: Manifest) -> None:
    body = json.dumps({"last_run": manifest.last_run, "files": [asdict(f) for f in manifest.files]},
                      ensure_ascii=False, indent=1)
    with _atomic(directory / MANIFEST, "w", encoding="utf-8") as handle:
        handle.write(body)


# --- Writing ----------------------------------------------------------------------------------------

@contextmanager
def _atomic(path: Path, mode: str, **open_args):
    """Open a temporary file beside `path`; on success flush it to disk and rename it into place."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def _exclusive(directory: Path):
    """One export at a time (a manual run while the timer fires): the second is refused."""
    with open(directory / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportRunning(f"another open-data export is running in {directory}") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cell(value) -> str:
    """A CSV cell: the JSON's value, with text a spreadsheet would run as a formula neutralised (the JSON
    keeps the text verbatim)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(spreadsheet_cell(value))


def _public_shops(batch_size: int):
    """Public shops in id order, one keyset batch at a time (no OFFSET walk, no list of all shops)."""
    after = 0
    while True:
        batch = list(db.session.scalars(
            select(Merchant).where(Merchant.standing != Standing.PENDING.value, Merchant.id > after)
            .order_by(Merchant.id).limit(batch_size)
        ))
        if not batch:
            return
        yield batch
        after = batch[-1].id


def _badges_of(merchant_ids: list[int]) -> dict[int, Badge]:
    current: dict[int, Badge] = {}
    for badge in db.session.scalars(
        select(Badge).where(Badge.merchant_id.in_(merchant_ids), Badge.voided_at.is_(None))
        .order_by(Badge.issued_at, Badge.id)
    ):
        current[badge.merchant_id] = badge
    return current


def _sanction_status(sanction: Sanction, now: datetime) -> str:
    if sanction.kind == REINSTATEMENT:
        return "recorded"
    return "in_force" if sanction.in_force_at(now) else "ended"


def _rows(now: datetime, batch_size: int):
    """(shop row, [sanction rows]) for every public shop, as its QR page would show it at `now`."""
    current = current_version_terms()
    for batch in _public_shops(batch_size):
        ids = [m.id for m in batch]
        signatures, badges = latest_signatures(ids), _badges_of(ids)
        standings = shop_standings(batch, now, signatures=signatures, terms=current)
        for merchant in batch:
            signature = signatures.get(merchant.id)
            public = standings[merchant.id]
            words = serializers.standing_words(merchant, public.standing, public.sanction, public.lapse)
            badge = badges.get(merchant.id)
            shop = {
                "public_code": merchant.public_code,
                **serializers.shop_registry_fields(merchant),
                "standing": public.standing,
                "standing_label": str(STANDING_LABELS[public.standing]),
                "standing_reason": words.reason,
                "standing_since": words.since,
                "standing_until": words.until,
                "pledge_version": signature.pledge_version.number if signature else None,
                "pledge_signed_on": iso_china_date(signature.signed_at) if signature else None,
                "pledge_expires_on": iso_china_date(signature.expires_at) if signature else None,
                "badge_serial": badge.serial if badge else None,
                "badge_issued_on": iso_china_date(badge.issued_at) if badge else None,
                "page_url": serializers.shop_page_url(merchant),
            }
            marks = []
            for sanction in public.marks:
                mark = serializers.sanction_mark(sanction, now)
                marks.append({
                    "shop_code": merchant.public_code,
                    "kind": sanction.kind,
                    "kind_label": str(SANCTION_KIND_LABELS[sanction.kind]),
                    "clause": sanction.clause_kind,
                    "clause_label": str(CLAUSE_LABELS[sanction.clause_kind]) if sanction.clause_kind else None,
                    "reason": mark["reason"],
                    "starts_on": mark["starts_on"],
                    "until": mark["until"],
                    "until_rectified": mark["until_rectified"],
                    "ended_on": mark["ended_on"],
                    "status": _sanction_status(sanction, now),
                    "end_reason": mark["end_reason"],
                    "repaired_on": mark["repaired_on"],
                    "shop_statement": mark["shop_statement"],
                    "shop_statement_hidden_reason": mark["shop_statement_hidden_reason"],
                })
            yield shop, marks
        # Forget the batch's rows: memory stays flat however many shops there are.
        db.session.expunge_all()


@dataclass
class ExportReport:
    day: date
    shops: int
    sanctions: int
    files: list[ExportFile]
    pruned: list[str]
    checkpoint: dict


def export(day: date | None = None, now: datetime | None = None, batch_size: int = BATCH,
           counted: Callable[[int], None] | None = None) -> ExportReport:
    """Write standings-<day>.csv, sanctions-<day>.csv and standings-<day>.json (both tables), update the
    manifest and delete files older than KEEP_DAYS. `day` names the files; the data is as of `now`.
    Also signs the audit log's head (checkpoint-<day>.json); without a key production writes nothing.
    `counted(shops)` after each shop written (a job's progress)."""
    now = now or utcnow()
    day = day or china_date(now)
    key = anchoring.signing_key()  # before any file: production without AUDIT_CHECKPOINT_KEY stops here
    directory = export_directory()
    directory.mkdir(parents=True, exist_ok=True)
    names = {key: f"{table}-{day.isoformat()}.{ext}" for key, (table, ext) in
             {"shops_csv": ("standings", "csv"), "sanctions_csv": ("sanctions", "csv"),
              "json": ("standings", "json")}.items()}
    shop_columns = [name for name, _ in SHOP_FIELDS]
    sanction_columns = [name for name, _ in SANCTION_FIELDS]
    generated_at = iso_china_datetime(now)
    shops = sanctions = 0
    with _exclusive(directory), force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        with _atomic(directory / names["shops_csv"], "w", encoding="utf-8-sig", newline="") as shops_file, \
                _atomic(directory / names["sanctions_csv"], "w", encoding="utf-8-sig", newline="") as marks_file, \
                _atomic(directory / names["json"], "w", encoding="utf-8") as json_file, \
                tempfile.TemporaryFile("w+", encoding="utf-8", dir=directory) as marks_spool:
            shop_writer = csv.DictWriter(shops_file, shop_columns)
            mark_writer = csv.DictWriter(marks_file, sanction_columns)
            shop_writer.writeheader()
            mark_writer.writeheader()
            json_file.write("{" + _json_member("generated_at", generated_at) + "," + _json_member("date", day.isoformat())
                            + "," + _json_member("licence", LICENCE) + ',"shops":[')
            for shop, marks in _rows(now, batch_size):
                shop_writer.writerow({k: _cell(v) for k, v in shop.items()})
                json_file.write(("," if shops else "") + "\n" + json.dumps(shop, ensure_ascii=False))
                shops += 1
                if counted is not None:
                    counted(shops)
                for mark in marks:
                    mark_writer.writerow({k: _cell(v) for k, v in mark.items()})
                    # Sanctions follow all shops in the JSON: kept aside on disk until then.
                    marks_spool.write(("," if sanctions else "") + "\n" + json.dumps(mark, ensure_ascii=False))
                    sanctions += 1
            json_file.write('\n],"sanctions":[')
            marks_spool.seek(0)
            for chunk in iter(lambda: marks_spool.read(1 << 16), ""):
                json_file.write(chunk)
            json_file.write("\n]}\n")
        rows = {"shops_csv": shops, "sanctions_csv": sanctions, "json": shops + sanctions}
        written = [ExportFile(names[key], day.isoformat(), (directory / names[key]).stat().st_size, rows[key],
                              _sha256(directory / names[key]), generated_at) for key in names]
        pruned = _prune(directory, china_date(now))
        manifest = read_manifest(directory)
        kept = [f for f in manifest.files
                if f.name not in names.values() and f.name not in pruned and (directory / f.name).exists()]
        written = [f for f in written if f.name not in pruned]  # a --date older than KEEP_DAYS
        _write_manifest(directory, Manifest(generated_at, written + kept))
        checkpoint = checkpoints.write(directory, day, now, key, _atomic)
    return ExportReport(day, shops, sanctions, written, pruned, checkpoint)


def _json_member(key: str, value) -> str:
    return json.dumps(key) + ":" + json.dumps(value, ensure_ascii=False)


def _prune(directory: Path, today: date) -> list[str]:
    """Delete export files dated KEEP_DAYS days or more before today, and temporary files a crash left."""
    removed = []
    for path in directory.iterdir():
        match = FILE_NAME.fullmatch(path.name)
        if match and (today - date.fromisoformat(match.group(2))).days >= KEEP_DAYS:
            path.unlink(missing_ok=True)
            removed.append(path.name)
        elif path.name.endswith(".tmp") and path.name.startswith(".") and time.time() - path.stat().st_mtime > 86400:
            path.unlink(missing_ok=True)
    return sorted(removed)



# --- Run from the staff pages, as a job ------------------------------------------------------------

EXPORT_KIND = "opendata.export"


def start_export(staff: User) -> Job:
    """Queue an export now, besides the daily timer's (administrators; flushed, submit after the commit)."""
    if not staff.is_admin:
        raise NotPermitted(_("只有管理员可以立即导出开放数据。"))
    return jobs.start(EXPORT_KIND, export_job, staff)


def export_job(progress: Progress) -> Outcome:
    """The job: the same export as the timer's, read from a snapshot (no write lock while files are written)."""
    progress.stage("exporting")
    try:
        with slow_work():
            report = export(counted=lambda shops: progress.report(shops))
    except ExportRunning as error:
        raise Conflict(_("另一次开放数据导出正在进行，请等它结束后再试。")) from error
    except (CheckpointKeyMissing, CheckpointKeyInvalid) as error:
        raise DomainError(_("审计日志检查点的签名密钥没有配置好（AUDIT_CHECKPOINT_KEY），没有导出。请联系管理员。")) from error
    return Outcome({"day": report.day.isoformat(), "shops": report.shops, "sanctions": report.sanctions,
                    "files": [entry.name for entry in report.files]})
