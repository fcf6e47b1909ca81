"""Importing shop lists collected door to door: upload and check a spreadsheet, keep it as a batch,
then import its valid rows (each new shop gets an invitation code) or discard it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from registry.auth.access import in_district, require_district
from registry.areas import services as areas
from registry.areas.services import AreaList
from registry.audit import services as audit
from registry.auth.models import User
from registry.campaigns import spreadsheets
from registry.campaigns.models import BatchStatus, ImportBatch, ShopInvitation
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, NotFound, NotPermitted
from registry.extensions import db
from registry.i18n import join_list
from registry.jobs import services as jobs
from registry.jobs.models import Job
from registry.jobs.services import Outcome, Progress
from registry.database import slow_work
from registry.merchants.models import Merchant, MerchantNameGram, Standing
from registry.merchants.services import (ShopDetails, check_shop_details, name_gram_rows, new_public_code, normalize_search_text)

from registry.campaigns.claims import IN_LIST_CHUNK, invitation_validity_days, new_invitation_codes



# --- Upload and checking -------------------------------------------------------------------------

def require_staff(staff: User) -> None:
    if not staff.is_staff:
        raise NotPermitted(_("只有工作人员可以导入店铺。"))


def require_batch_scope(batch: ImportBatch, staff: User) -> None:
    """A district's staff see only their district's batches; staff for the whole area see all."""
    require_staff(staff)
    require_district(staff, batch.district, _("这批名单不在您负责的区县。"))


def _row_details(values: dict[str, str], area_list: AreaList) -> tuple[ShopDetails, dict[str, list[str]]]:
    """One row checked with the shop form's rules (merchants.services.check_shop_details): district
    and township in any spelling the list accepts, stored under their canonical names."""
    raw_category = values.get("category", "")
    category = spreadsheets.category_code(raw_category)
    details = ShopDetails(**{name: values.get(name, "") for name in spreadsheets.FIELDS if name != "category"},
                          category=category or "")
    cleaned, field_errors = check_shop_details(details, area_list)
    errors = {name: [message] for name, message in field_errors.items()}
    if category is None:
        errors["category"] = [
            _("无法识别类别“%(value)s”。可以填写：%(choices)s。", value=raw_category,
              choices=spreadsheets.category_choices()) if raw_category.strip() else _("此项必填。")
        ]
    return cleaned, errors


def _registered_codes(codes: set[str]) -> dict[str, str]:
    """Credit code → name of the shop already registered with it, for the codes given."""
    found: dict[str, str] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), IN_LIST_CHUNK):
        chunk = ordered[start:start + IN_LIST_CHUNK]
        found.update((code, name) for code, name in db.session.execute(
            select(Merchant.credit_code, Merchant.name).where(Merchant.credit_code.in_(chunk))))
    return found


def check_rows(rows: list[tuple[int, dict[str, str]]], staff: User) -> list[dict]:
    """Every row with the problems of each field: the form's rules, the staff's district, and
    credit codes used twice in the file or already registered."""
    results = []
    area_list = areas.load_areas()
    for line, values in rows:
        cleaned, errors = _row_details(values, area_list)
        if staff.district and "district" not in errors and cleaned.district != staff.district:
            errors["district"] = [_("您只能导入%(district)s的店铺。", district=staff.district)]
        # Shown beside the value as typed, e.g. a full-width code and what it was read as.
        normalized = {name: getattr(cleaned, name) for name in ("credit_code", "contact_phone", "district", "township")
                      if name not in errors and getattr(cleaned, name) != values.get(name, "").strip()}
        results.append({"line": line, "values": values, "errors": errors, "normalized": normalized,
                        "code": None if "credit_code" in errors else cleaned.credit_code})

    codes = {result["code"] for result in results if result["code"]}
    registered = _registered_codes(codes)
    first_line_of: dict[str, int] = {}
    for result in results:
        code = result.pop("code")
        if not code:
            continue
        # The first row with a code is kept; later copies are refused and name it.
        first = first_line_of.setdefault(code, result["line"])
        if first != result["line"]:
            result["errors"].setdefault("credit_code", []).append(
                _("与第 %(line)s 行的统一社会信用代码重复。", line=first))
        if code in registered:
            result["errors"].setdefault("credit_code", []).append(
                _("该统一社会信用代码已登记过店铺（%(name)s）。", name=registered[code]))
    return results


def whole_file_districts() -> list[str]:
    """The districts an area-wide officer may name for a file without a 区/县 column."""
    return [district.name for district in areas.load_areas().active_districts]


def upload_batch(filename: str, data: bytes, staff: User, district: str = "") -> ImportBatch:
    """Read and check an uploaded shop list, and keep it until staff decide what to import."""
    return store_checked_list(filename, check_shop_list(filename, data, staff, district), staff)


@dataclass(frozen=True)
class CheckedList:
    """An uploaded shop list, read and checked row by row (check_shop_list), not yet stored."""

    results: list[dict]
    ignored_columns: list[str]


def check_shop_list(filename: str, data: bytes, staff: User, district: str = "") -> CheckedList:
    """Read and check an uploaded shop list; reads only (views run it in slow_work()).

    A file without a 区/县 column is read as one district's list: the officer's own district, or for
    area-wide staff the `district` chosen for the whole file on upload.
    """
    require_staff(staff)
    sheet = spreadsheets.read_shop_list(filename, data)
    if "district" in sheet.missing_columns:
        whole_file = staff.district or (district or "").strip()
        if not whole_file:
            raise DomainError(_("文件没有“%(column)s”列。请在上传时选择整份名单所属的区县，或在文件中加上“%(column)s”列。",
                                column=spreadsheets.TEMPLATE_HEADERS["district"]), field="district")
        for _line, values in sheet.rows:
            values["district"] = whole_file
    return CheckedList(check_rows(sheet.rows, staff), list(sheet.ignored_columns))


def store_checked_list(filename: str, checked: CheckedList, staff: User) -> ImportBatch:
    """Keep a checked list until staff decide what to import."""
    require_staff(staff)
    results = checked.results
    batch = ImportBatch(
        created_by_id=staff.id, district=staff.district, filename=(filename or "")[:200],
        status=BatchStatus.VALIDATED.value, row_count=len(results),
        valid_count=sum(1 for r in results if not r["errors"]),
        rows_json=json.dumps(results, ensure_ascii=False),
        ignored_columns_json=json.dumps(checked.ignored_columns, ensure_ascii=False),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record("campaign.batch_uploaded", batch, staff, filename=batch.filename, rows=batch.row_count,
                 valid=batch.valid_count)
    return batch


def batch_for_staff(batch_id: int, staff: User) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(_("没有找到这批名单。"))
    require_batch_scope(batch, staff)
    return batch


def batches_for(staff: User, limit: int = 50) -> list[ImportBatch]:
    query = select(ImportBatch).order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit)
    return list(db.session.scalars(in_district(query, staff, ImportBatch.district)))


# --- Deciding ------------------------------------------------------------------------------------

def _lock_open_batch(batch: ImportBatch) -> None:
    """Serialise a double-submitted decision: the second one finds the batch already decided."""
    db.session.refresh(batch, with_for_update=True)
    if not batch.is_open:
        raise Conflict(_("这批名单已经处理过了，没有重复导入。"))


def discard_batch(batch: ImportBatch, staff: User) -> ImportBatch:
    """Import none of the rows."""
    require_batch_scope(batch, staff)
    _lock_open_batch(batch)
    batch.status = BatchStatus.DISCARDED.value
    batch.decided_at, batch.decided_by_id = utcnow(), staff.id
    db.session.flush()
    audit.record("campaign.batch_discarded", batch, staff, rows=batch.row_count)
    return batch


IMPORT_KIND = "campaigns.import"
# Shops imported per transaction: each chunk commits with the job's count, so a killed job loses at most one
# chunk's work and its retry starts after the last committed chunk.
IMPORT_CHUNK = 250


def start_import(batch: ImportBatch, staff: User) -> Job:
    """Decide to import the valid rows: the batch is marked importing and a job is queued to do it
    (flushed; jobs.queue.submit after the commit). The rows are checked again in the job."""
    require_batch_scope(batch, staff)
    _lock_open_batch(batch)
    if not batch.valid_count:
        raise DomainError(_("这批名单没有可以导入的行。"))
    batch.status = BatchStatus.IMPORTING.value
    batch.decided_at, batch.decided_by_id = utcnow(), staff.id
    db.session.flush()
    audit.record("campaign.batch_import_started", batch, staff, rows=batch.valid_count)
    return jobs.start(IMPORT_KIND, import_rows, staff, {"batch_id": batch.id}, subject_id=batch.id)


def import_job(batch: ImportBatch) -> Job | None:
    """The job importing the batch (its page shows the progress), if it was ever started."""
    return jobs.latest_for(IMPORT_KIND, batch.id)


def _imported_codes(batch: ImportBatch) -> set[str]:
    """Credit codes of the shops this batch already imported (a retried job skips them)."""
    return set(db.session.scalars(select(Merchant.credit_code).join(
        ShopInvitation, ShopInvitation.merchant_id == Merchant.id).where(ShopInvitation.batch_id == batch.id)))


def import_rows(progress: Progress) -> Outcome:
    """The job: a pending, ownerless shop with an invitation code for every valid row, in chunks.

    Each row is imported once, however often the job runs: a row is keyed by its credit code (unique
    among shops), a chunk's shops, invitations and audit entries commit together with the count, and a
    run starts by leaving out the codes this batch already imported. Before the first shop, the rows are
    checked again; if one has become wrong (its code registered meanwhile) nothing is imported.
    """
    staff = progress.staff
    progress.stage("checking")
    with slow_work():  # checking 5,000 rows against the registry takes seconds: no write lock meanwhile
        batch = db.session.get(ImportBatch, progress.params["batch_id"])
        area_list = areas.load_areas()
        chosen = [(row, _row_details(row["values"], area_list)[0]) for row in batch.rows if not row["errors"]]
        imported_before = _imported_codes(batch)
        remaining = [(row, cleaned) for row, cleaned in chosen if cleaned.credit_code not in imported_before]
        rechecked = check_rows([(row["line"], row["values"]) for row, _cleaned in remaining], staff)
    now_wrong = [row["line"] for row in rechecked if row["errors"]]
    if now_wrong:
        batch = db.session.get(ImportBatch, batch.id)
        _stop_import(batch, staff, progress, len(imported_before), now_wrong)
    done = len(chosen) - len(remaining)
    progress.stage("importing", total=len(chosen), done=done)
    expires = utcnow() + timedelta(days=invitation_validity_days())
    for start in range(0, len(remaining), IMPORT_CHUNK):
        chunk = remaining[start:start + IMPORT_CHUNK]
        _import_chunk(batch, staff, [cleaned for _row, cleaned in chunk], expires, progress, done)
        done += len(chunk)
        progress.advance(done)  # commits this chunk with the count

    batch = db.session.get(ImportBatch, batch.id)
    batch.status = BatchStatus.IMPORTED.value
    batch.imported_count = len(_imported_codes(batch))
    db.session.flush()
    audit.record("campaign.batch_imported", batch, staff, imported=batch.imported_count,
                 skipped=batch.row_count - batch.imported_count)
    return Outcome({"batch_id": batch.id, "imported": batch.imported_count,
                    "skipped": batch.row_count - batch.imported_count})


def _import_chunk(batch: ImportBatch, staff: User, rows: list[ShopDetails], expires, progress: Progress,
                  done: int) -> None:
    merchants = [Merchant(owner_id=None, public_code=new_public_code(), standing=Standing.PENDING.value,
                          search_name=normalize_search_text(cleaned.name), **vars(cleaned)) for cleaned in rows]
    db.session.add_all(merchants)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        batch = db.session.get(ImportBatch, batch.id)
        _stop_import(batch, staff, progress, done, [], registered_meanwhile=True)
    _index_new_names(merchants)
    now = utcnow()
    db.session.add_all(ShopInvitation(merchant_id=merchant.id, batch_id=batch.id, code=code, created_at=now,
                                      expires_at=expires)
                       for merchant, code in zip(merchants, new_invitation_codes(len(merchants))))
    db.session.flush()
    audit.record_each("merchant.imported", [
        (merchant, {"batch_id": batch.id, "name": merchant.name, "credit_code": merchant.credit_code,
                    "district": merchant.district}) for merchant in merchants], staff)


def _stop_import(batch: ImportBatch, staff: User, progress: Progress, imported: int, lines: list[int],
                 registered_meanwhile: bool = False) -> None:
    """Refuse the rest of the import. With nothing imported the batch waits for a decision again;
    otherwise it ends as imported with the shops imported so far. Saved before the refusal is raised."""
    if imported:
        batch.status, batch.imported_count = BatchStatus.IMPORTED.value, imported
    else:
        batch.status, batch.decided_at, batch.decided_by_id = BatchStatus.VALIDATED.value, None, None
    db.session.flush()
    audit.record("campaign.batch_import_stopped", batch, staff, imported=imported, lines=lines)
    progress.advance(imported)  # commits: the refusal below must not undo the batch's new state
    kept = _("已导入的 %(count)d 家店铺保留。", count=imported) if imported else _("没有导入任何店铺。")
    if registered_meanwhile:
        raise Conflict(_("有店铺的统一社会信用代码刚刚被登记，导入停止了。%(kept)s请重新上传其余的行核对。", kept=kept))
    raise Conflict(_("第 %(lines)s 行在上传之后出现了新问题（例如代码已被登记），导入停止了。%(kept)s"
                     "请重新上传名单核对。", lines=join_list(lines), kept=kept))


def _index_new_names(merchants: list[Merchant]) -> None:
    """What merchants.services.index_merchant_name does, for thousands of new shops in one statement
    (it first deletes old grams, which new shops do not have, one shop at a time). search_name is set
    when the shop is built."""
    grams = [row for merchant in merchants for row in name_gram_rows(merchant.id, merchant.name, merchant.is_public,
                                                                            merchant.district)]
    if grams:
        db.session.execute(insert(MerchantNameGram), grams)


@areas.district_renamed.connect
def _rename_district(district, old: str, new: str) -> dict[str, int]:
    """Batches stay visible to the renamed district's staff."""
    result = db.session.execute(update(ImportBatch).where(ImportBatch.district == old).values(district=new)
                                .execution_options(synchronize_session="fetch"))
    return {"import_batches": result.rowcount}
