"""The daily open-data export and its public page: file contents (CSV with BOM, JSON), no personal data,
batches that see every shop once, atomic writes, pruning after 30 days, the CLI, and the downloads."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.clock import CHINA
from registry.clock import start_of_china_day
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.opendata import services
from registry.clock import today_in_china
from tests.api.test_views import PERSONAL, SEEDED_CODES, SUSPENSION_REASON, WARNING_REASON

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")



def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_export_writes_standings_and_sanctions_as_csv_and_json(app, seeded, export_dir, moment):
    NOW, DAY = moment
    report = services.export(DAY, now=NOW)

    assert (report.shops, report.sanctions) == (4, 2)
    shops_csv, sanctions_csv, json_path = (export_dir / f"standings-{DAY}.csv",
                                           export_dir / f"sanctions-{DAY}.csv",
                                           export_dir / f"standings-{DAY}.json")
    assert shops_csv.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese
    shops = {row["public_code"]: row for row in read_csv(shops_csv)}
    assert list(next(iter(shops.values()))) == [name for name, _ in services.SHOP_FIELDS]
    assert set(shops) == set(SEEDED_CODES.values())  # the pending shop is not public
    active, warned = shops[SEEDED_CODES["active"]], shops[SEEDED_CODES["warned"]]
    assert (active["name"], active["standing"], active["standing_label"], active["standing_reason"]) == \
        ("美好生活超市", "active", "有效承诺", "")
    assert active["pledge_version"] == "1" and active["badge_serial"] and active["pledge_signed_on"]
    assert active["page_url"] == f"https://cxm.example.cn/m/{SEEDED_CODES['active']}"
    assert (warned["standing"], warned["standing_reason"]) == ("warned", WARNING_REASON)
    assert shops[SEEDED_CODES["suspended"]]["standing_reason"] == SUSPENSION_REASON
    assert shops[SEEDED_CODES["lapsed"]]["standing"] == "lapsed"
    assert "到期" in shops[SEEDED_CODES["lapsed"]]["standing_reason"]

    sanctions = read_csv(sanctions_csv)
    assert sorted((s["shop_code"], s["kind"], s["reason"], s["status"]) for s in sanctions) == sorted([
        (SEEDED_CODES["warned"], "warning", WARNING_REASON, "in_force"),
        (SEEDED_CODES["suspended"], "suspension", SUSPENSION_REASON, "in_force"),
    ])
    assert {s["clause"] for s in sanctions} == {"inferior"}

    with json_path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["date"] == f"{DAY}" and document["licence"] == services.LICENCE
    assert {s["public_code"]: s["standing"] for s in document["shops"]} == \
        {code: row["standing"] for code, row in shops.items()}
    assert len(document["sanctions"]) == 2
    assert all(isinstance(s["until_rectified"], bool) for s in document["sanctions"])


def test_no_personal_data_in_any_export_file(app, seeded, export_dir, moment):
    NOW, DAY = moment
    services.export(DAY, now=NOW)

    files = [p for p in export_dir.iterdir() if not p.name.startswith(".")]
    assert len(files) == 7  # three exports, the manifest, the audit checkpoint and its two public-key files
    for path in files:
        text = path.read_text("utf-8-sig")
        for value in PERSONAL:
            assert value not in text, f"{value!r} in {path.name}"


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3",
                                  "@SUM(A1:A9)", "\t=1+1", "\r=1+1"])
def test_a_name_a_spreadsheet_would_run_is_neutralised_in_the_csv_and_verbatim_in_the_json(
        app, seeded, export_dir, moment, name):
    """Rows stored before the form filter may hold anything; the CSV is read in Excel, the JSON by programs."""
    NOW, DAY = moment
    shop = db.session.scalars(select(Merchant).where(Merchant.public_code == SEEDED_CODES["active"])).one()
    shop.name, shop.address = name, "转塘直街\x0188号"
    db.session.commit()

    services.export(DAY, now=NOW)

    shops = {row["public_code"]: row for row in read_csv(export_dir / f"standings-{DAY}.csv")}
    assert shops[SEEDED_CODES["active"]]["name"] == "'" + name
    assert shops[SEEDED_CODES["active"]]["pledge_version"] == "1"  # numbers stay numbers
    assert shops[SEEDED_CODES["active"]]["address"].endswith("转塘直街88号")  # no control character in a file
    with (export_dir / f"standings-{DAY}.json").open(encoding="utf-8") as handle:
        document = json.load(handle)
    assert {s["public_code"]: s["name"] for s in document["shops"]}[SEEDED_CODES["active"]] == name


def test_small_batches_give_the_same_files(app, seeded, export_dir, moment):
    NOW, DAY = moment
    services.export(DAY, now=NOW, batch_size=1000)
    whole = {p.name: p.read_bytes() for p in export_dir.glob(f"*-{DAY}.*")}

    services.export(DAY, now=NOW, batch_size=1)

    assert {p.name: p.read_bytes() for p in export_dir.glob(f"*-{DAY}.*")} == whole


def test_the_manifest_records_size_rows_and_sha256(app, seeded, export_dir, moment):
    NOW, DAY = moment
    services.export(DAY, now=NOW)

    manifest = services.read_manifest()
    assert {f.name for f in manifest.for_date(DAY)} == {f"standings-{DAY}.csv", f"sanctions-{DAY}.csv",
                                                         f"standings-{DAY}.json"}
    for entry in manifest.files:
        data = (export_dir / entry.name).read_bytes()
        assert entry.bytes == len(data)
        assert entry.sha256 == hashlib.sha256(data).hexdigest()
    assert manifest.get(f"standings-{DAY}.csv").rows == 4
    assert manifest.get(f"sanctions-{DAY}.csv").rows == 2
    assert manifest.last_run is not None


def test_a_failed_export_leaves_the_previous_file_whole_and_no_temporary_files(app, seeded, export_dir, monkeypatch, moment):
    NOW, DAY = moment
    services.export(DAY, now=NOW)
    before = {p.name: p.read_bytes() for p in export_dir.iterdir()}
    real_rows = services._rows

    def failing(now, batch_size):
        rows = real_rows(now, batch_size)
        yield next(rows)
        raise OSError("disk full")

    monkeypatch.setattr(services, "_rows", failing)
    with pytest.raises(OSError, match="disk full"):
        services.export(DAY, now=NOW)

    assert {p.name: p.read_bytes() for p in export_dir.iterdir()} == before
    assert not [p for p in export_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_second_export_at_the_same_time_is_refused(app, seeded, export_dir, moment):
    NOW, DAY = moment
    export_dir.mkdir(parents=True, exist_ok=True)
    with services._exclusive(export_dir):
        with pytest.raises(services.ExportRunning):
            services.export(DAY, now=NOW)
    assert not list(export_dir.glob("standings-*"))


def test_files_older_than_30_days_are_deleted(app, seeded, export_dir, moment):
    NOW, DAY = moment
    services.export(DAY - timedelta(days=30), now=NOW - timedelta(days=30))
    services.export(DAY - timedelta(days=29), now=NOW - timedelta(days=29))
    old, kept = (DAY - timedelta(days=30)).isoformat(), (DAY - timedelta(days=29)).isoformat()
    assert len(list(export_dir.glob("standings-*.csv"))) == 2

    report = services.export(DAY, now=NOW)

    assert sorted(p.name for p in export_dir.glob("standings-*.csv")) == [f"standings-{kept}.csv",
                                                                          f"standings-{DAY}.csv"]
    assert report.pruned == [f"sanctions-{old}.csv", f"standings-{old}.csv", f"standings-{old}.json"]
    assert {f.date for f in services.read_manifest().files} == {kept, DAY.isoformat()}


def test_a_backfilled_date_older_than_30_days_is_not_listed(app, seeded, export_dir, moment):
    NOW, DAY = moment
    services.export(DAY - timedelta(days=40), now=NOW)

    assert services.read_manifest().files == []
    assert not list(export_dir.glob("standings-*"))


def test_the_cli_exports_for_a_given_date(app, seeded, export_dir, runner):
    today = today_in_china().isoformat()
    yesterday = (today_in_china() - timedelta(days=1)).isoformat()
    result = runner.invoke(args=["opendata", "export", "--date", yesterday])

    assert result.exit_code == 0, result.output
    assert f"Exported 4 shops and 2 sanctions for {yesterday}." in result.output
    assert (export_dir / f"standings-{yesterday}.csv").exists()
    assert runner.invoke(args=["opendata", "export"]).exit_code == 0
    assert (export_dir / f"standings-{today}.json").exists()
    assert runner.invoke(args=["opendata", "export", "--date", "14/02/2026"]).exit_code != 0


# --- The page and the downloads ---------------------------------------------------------------------

def test_the_page_before_any_export_says_so_and_generates_nothing(client, export_dir):
    response = client.get("/open-data")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "还没有导出过数据" in html
    assert "数据字典" in html and "credit_code" in html and "CC BY 4.0" in html
    assert not export_dir.exists() or not list(export_dir.iterdir())


def test_the_page_lists_the_files_and_says_when_the_last_export_ran(client, seeded, export_dir, clock, moment):
    NOW, DAY = moment
    services.export(DAY, now=NOW)
    clock.set(start_of_china_day(DAY + timedelta(days=1)))

    html = client.get("/open-data").get_data(as_text=True)

    manifest = services.read_manifest()
    for entry in manifest.files:
        assert f'href="/open-data/{entry.name}"' in html
        assert entry.sha256 in html
    assert "今天的数据尚未导出" in html and NOW.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") in html
    clock.set(NOW)
    assert "今天的数据尚未导出" not in client.get("/open-data").get_data(as_text=True)


def test_a_download_is_an_attachment_with_the_sha256_as_etag(client, seeded, export_dir, moment):
    NOW, DAY = moment
    services.export(DAY, now=NOW)
    entry = services.read_manifest().get(f"standings-{DAY}.csv")

    with client.get(f"/open-data/standings-{DAY}.csv") as response:
        body = response.data
    with client.get(f"/open-data/standings-{DAY}.csv", headers={"If-None-Match": f'"{entry.sha256}"'}) as again:
        assert again.status_code == 304 and again.data == b""

    assert response.status_code == 200
    assert body == (export_dir / entry.name).read_bytes()
    assert response.headers["Content-Disposition"] == f"attachment; filename=standings-{DAY}.csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    assert response.headers["ETag"] == f'"{entry.sha256}"'
    assert "Set-Cookie" not in response.headers
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 4


@pytest.mark.parametrize("name", ["standings-2026-03-01.csv", "index.json", ".lock", "standings-2026-03-01.txt",
                                  "..%2Findex.json"])
def test_only_listed_export_files_can_be_downloaded(client, seeded, export_dir, name, moment):
    NOW, DAY = moment
    services.export(DAY, now=NOW)

    assert client.get(f"/open-data/{name}").status_code == 404
