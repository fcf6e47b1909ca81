"""Report pages: who may open them, the period picker's messages, CSV and XLSX exports, the yearly print
page and the public /stats page. Figures themselves are checked in tests/reports/test_figures.py."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest
from openpyxl import load_workbook

from conftest import LOGIN_REDIRECT, MATRIX_ROLES, assert_answer
from registry.reports.figures import period_label
from registry.areas.services import import_rows
from registry.clock import start_of_china_day, use_time_source
from registry.extensions import db
from tests.reports.test_figures import CONSUMER_NAME, CONSUMER_PHONE, add_complaint, build_world, cst

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

TODAY = date(2026, 11, 28)
YEAR_2026 = "kind=year&year=2026"
TABLE_KEYS = ("summary", "consultations", "refusals", "clauses", "categories", "districts", "townships", "months",
              "channels", "acceptance_townships", "shops", "satisfaction")


def year_words(year: int) -> str:
    """How the reports name a whole year: 全年 once it is over, 截至 today while it runs (Beijing date)."""
    return period_label(date(year, 1, 1), date(year + 1, 1, 1))


def noon_in_beijing(day: date) -> datetime:
    return start_of_china_day(day) + timedelta(hours=12)


@pytest.fixture(autouse=True)
def fixed_today(clock):
    """Pages default to "this year": pin it, so the expected figures do not depend on the machine's clock."""
    clock.set(noon_in_beijing(TODAY))


@pytest.fixture
def world(app, make_user, make_shop, monkeypatch, clock):
    """The hand-counted world of tests/reports/test_figures.py."""
    built = build_world(make_user, make_shop, monkeypatch)
    use_time_source(clock)  # building it wrote audit entries at set moments, then let go of the clock
    return built


@pytest.fixture
def admin_client(client, make_user, login_as):
    return login_as(client, make_user(role="admin", name="管理员"))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def no_personal_data(text: str) -> None:
    assert CONSUMER_NAME not in text
    assert CONSUMER_PHONE not in text


# --- Who may open what ---------------------------------------------------------------------------------

STAFF_ONLY = {"anonymous": LOGIN_REDIRECT, "merchant": 403, "other_merchant": 403}
ROUTES = [
    # (path, answers for staff in 西湖区, staff in 滨江区, admin)
    ("/staff/reports", (200, 200, 200)),
    ("/staff/reports?district=西湖区", (200, 403, 200)),
    ("/staff/reports/export/summary.csv", (200, 200, 200)),
    ("/staff/reports/export/summary.csv?district=西湖区", (200, 403, 200)),
    ("/staff/reports/export/unknown.csv", (404, 404, 404)),
    ("/staff/reports/export.xlsx", (200, 200, 200)),
    ("/staff/reports/export.xlsx?district=西湖区", (200, 403, 200)),
    ("/staff/reports/yearly?year=2026", (200, 200, 200)),
    ("/staff/reports/yearly?year=2026&district=西湖区", (200, 403, 200)),
]
CASES = [pytest.param(path, role, (STAFF_ONLY | dict(zip(("staff", "staff_elsewhere", "admin"), answers)))[role],
                      id=f"{path} as {role}")
         for path, answers in ROUTES for role in MATRIX_ROLES]
CASES += [pytest.param("/stats", role, 200, id=f"/stats as {role}") for role in MATRIX_ROLES]


@pytest.mark.parametrize(("path", "role", "expected"), CASES)
def test_access(client, matrix_people, login_as, path, role, expected):
    if role != "anonymous":
        login_as(client, matrix_people[role])

    response = client.get(path)

    assert_answer(response, expected, path)
    if path.startswith("/staff/") and response.status_code == 200:
        assert response.headers["Cache-Control"] == "no-store"


def test_the_table_lists_every_report_route(app):
    adapter = app.url_map.bind("localhost")
    listed = {adapter.match(urlsplit(path).path, method="GET")[0] for path, _answers in ROUTES} | {"public_stats.stats"}
    routes = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in {"reports", "public_stats"}}
    assert routes - listed == set()
    assert all(rule.methods - {"HEAD", "OPTIONS"} == {"GET"} for rule in app.url_map.iter_rules()
               if rule.endpoint.split(".")[0] in {"reports", "public_stats"})


# --- The report page -----------------------------------------------------------------------------------

def test_the_report_reads_like_the_yearly_sentence_with_charts_tables_and_definitions(admin_client, world):
    response = admin_client.get(f"/staff/reports?{YEAR_2026}")

    html = text_of(response)
    assert response.status_code == 200
    assert (year_words(2026) + "接待来信、来电、来访、咨询 3 人次；受理投诉 5 件，调处 4 件，调处率 80.0%；"
            "为消费者挽回经济损失 0.06 万元。") in html
    assert html.count('<svg ') >= 3 and 'class="chart-svg"' in html
    assert "口径说明" in html and "调处件数 ÷ 期内受理件数" in html
    for key in TABLE_KEYS:
        assert f"/staff/reports/export/{key}.csv?" in html
    assert "/staff/reports/export.xlsx?" in html
    assert "/staff/reports/yearly?year=2026" in html
    no_personal_data(html)


def test_the_page_opens_on_this_year_for_the_whole_area(admin_client, world):
    html = text_of(admin_client.get("/staff/reports"))

    assert year_words(2026) + "接待来信、来电、来访、咨询 3 人次" in html
    assert '<option value="">全部区县</option>' in html and '<option selected value="2026">2026年</option>' in html


def test_staff_of_a_district_see_their_district_only(client, world, make_user, login_as):
    login_as(client, make_user(role="staff", name="西湖区工作人员", district="西湖区"))

    html = text_of(client.get(f"/staff/reports?{YEAR_2026}"))

    assert "西湖区" + year_words(2026) + "接待来信、来电、来访、咨询 2 人次；受理投诉 4 件，调处 3 件，调处率 75.0%" in html
    assert "全部区县" not in html.split('class="card period-form"')[1].split("</form>")[0]
    assert client.get(f"/staff/reports?{YEAR_2026}&district=滨江区").status_code == 403
    assert client.get(f"/staff/reports/export/summary.csv?{YEAR_2026}&district=滨江区").status_code == 403


def test_an_administrator_may_pick_any_known_district(admin_client, world):
    html = text_of(admin_client.get(f"/staff/reports?{YEAR_2026}&district=滨江区"))

    assert "滨江区" + year_words(2026) + "接待来信、来电、来访、咨询 1 人次；受理投诉 1 件，调处 1 件，调处率 100.0%" in html


@pytest.mark.parametrize(("query", "message", "kept"), [
    ("kind=range&start=2026-05-01&end=2026-01-01", "截止日期不能早于起始日期。", 'value="2026-05-01"'),
    ("kind=range&start=2019-01-01&end=2026-01-01", "统计期间最长 5 年，请缩短后再试。", 'value="2019-01-01"'),
    ("kind=month&month=2026-13", "请按“2026-03”的格式选择月份。", 'value="2026-13"'),
    ("kind=quarter&year=2025&quarter=2&district=火星区", "没有名为“火星区”的区县。请从列表中选择。",
     '<option selected value="2">第二季度</option>'),
])
def test_bad_input_is_answered_with_a_message_and_the_form_keeps_the_values(admin_client, world, query, message,
                                                                             kept):
    response = admin_client.get(f"/staff/reports?{query}")

    html = text_of(response)
    assert response.status_code == 400
    assert f'<p class="error">{message}</p>' in html
    assert kept in html
    assert "接待来信、来电、来访" not in html  # no report for a period that does not make sense


def test_a_bad_period_in_an_export_link_is_refused(admin_client, world):
    response = admin_client.get("/staff/reports/export/summary.csv?kind=range&start=2026-05-01&end=2026-01-01")

    assert response.status_code == 400
    assert "截止日期不能早于起始日期。" in text_of(response)


# --- Exports -------------------------------------------------------------------------------------------

def csv_rows(response) -> list[list[str]]:
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def test_every_table_downloads_as_csv_that_excel_opens(admin_client, world):
    for key in TABLE_KEYS:
        response = admin_client.get(f"/staff/reports/export/{key}.csv?{YEAR_2026}")

        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="chengxinma-report-2026-01-01-2026-12-31-{key}.csv"; ')
        assert disposition.encode("latin-1")  # the header itself is ASCII-safe
        utf8_name = unquote(disposition.split("filename*=UTF-8''")[1])
        assert utf8_name.startswith("诚信码报表_" + year_words(2026) + "_") and utf8_name.endswith(".csv")
        rows = csv_rows(response)
        assert len(rows) >= 2
        no_personal_data(response.data.decode("utf-8-sig"))


def test_csv_holds_the_figures_of_the_page(admin_client, world):
    summary = dict(csv_rows(admin_client.get(f"/staff/reports/export/summary.csv?{YEAR_2026}"))[1:])
    clauses = csv_rows(admin_client.get(f"/staff/reports/export/clauses.csv?{YEAR_2026}"))
    townships = csv_rows(admin_client.get(f"/staff/reports/export/townships.csv?{YEAR_2026}"))

    assert summary["接待咨询（人次）"] == "3"
    assert summary["受理（件）"] == "5"
    assert summary["调处（件）"] == "4"
    assert summary["调处率（%）"] == "80.0"
    assert summary["调解成功率（%）"] == "75.0"
    assert summary["挽回经济损失（元）"] == "620.50"
    assert summary["受理天数中位数（自然日）"] == "1.0"
    assert summary["办结天数中位数（自然日）"] == "42.5"
    assert clauses[0] == ["承诺条款", "数量"]
    assert ["以次充好", "2"] in clauses and ["制假售假", "1"] in clauses
    assert townships[1:] == [["西湖区", "双浦镇", "3"], ["西湖区", "转塘街道", "3"], ["滨江区", "长河街道", "1"]]


def test_the_workbook_has_a_sheet_per_table(admin_client, world):
    response = admin_client.get(f"/staff/reports/export.xlsx?{YEAR_2026}&district=西湖区")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="chengxinma-report-2026-01-01-2026-12-31-district.xlsx"' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[0] == "说明"
    assert len(workbook.sheetnames) == 1 + len(TABLE_KEYS)
    about = {row[0]: row[1] for row in workbook["说明"].iter_rows(values_only=True) if row[0]}
    assert about["区县"] == "西湖区"
    assert about["概述"].startswith("西湖区" + year_words(2026) + "接待来信、来电、来访、咨询 2 人次；受理投诉 4 件")
    summary = {row[0]: row[1] for row in workbook["主要数据"].iter_rows(min_row=2, values_only=True)}
    assert summary["受理（件）"] == 4
    assert summary["挽回经济损失（元）"] == 600.50
    assert summary["调处率（%）"] == 75.0  # c1, c2, c4 of c1, c2, c4, c5
    assert summary["调解成功率（%）"] == 66.7
    everything = " ".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                          for cell in row if cell is not None)
    no_personal_data(everything)


def test_text_that_a_spreadsheet_would_run_is_neutralised(admin_client, world, make_shop):
    import_rows([("西湖区", '=HYPERLINK("http://evil.example","点我")', "")])  # a name from an older import
    shop = make_shop(name="丁商店", district="西湖区", township='=HYPERLINK("http://evil.example","点我")')
    add_complaint(shop, "other", cst(2026, 8, 1, 10))
    db.session.commit()

    rows = csv_rows(admin_client.get(f"/staff/reports/export/townships.csv?{YEAR_2026}"))
    workbook = load_workbook(io.BytesIO(admin_client.get(f"/staff/reports/export.xlsx?{YEAR_2026}").data))

    assert ["西湖区", '\'=HYPERLINK("http://evil.example","点我")', "1"] in rows
    cells = [row for row in workbook["收到投诉（按乡镇、街道）"].iter_rows(min_row=2) if "HYPERLINK" in str(row[1].value)]
    assert cells[0][1].value == '\'=HYPERLINK("http://evil.example","点我")'
    assert cells[0][1].data_type == "s"


def test_exports_never_fail_on_control_characters_stored_before_the_form_filter(admin_client, world, make_shop):
    """A control character in a township made every XLSX export answer 500 (openpyxl's IllegalCharacterError).
    NUL itself cannot be stored on PostgreSQL; the other C0 characters break the workbook the same way."""
    shop = make_shop(name="己商店", district="西湖区", township="转塘街道")
    shop.township = "转塘\x01街道\x1b\u202e"  # as an older import stored it
    add_complaint(shop, "other", cst(2026, 8, 1, 10))
    db.session.commit()

    response = admin_client.get(f"/staff/reports/export.xlsx?{YEAR_2026}")
    rows = csv_rows(admin_client.get(f"/staff/reports/export/townships.csv?{YEAR_2026}"))

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    townships = [row[1] for row in workbook["收到投诉（按乡镇、街道）"].iter_rows(min_row=2, values_only=True)]
    assert "转塘街道" in townships  # the controls dropped, the words kept
    assert ["西湖区", "转塘街道", "1"] in rows


def test_chart_labels_are_escaped(admin_client, world, make_shop):
    import_rows([("西湖区", "<script>alert(1)</script>镇", "")])
    shop = make_shop(name="戊商店", district="西湖区", township="<script>alert(1)</script>镇")
    add_complaint(shop, "other", cst(2026, 8, 1, 10))
    db.session.commit()

    html = text_of(admin_client.get(f"/staff/reports?{YEAR_2026}"))

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;镇" in html


def test_charts_carry_no_style_the_content_security_policy_would_block(admin_client, world):
    html = text_of(admin_client.get(f"/staff/reports?{YEAR_2026}"))

    charts = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert charts
    for svg in charts:
        assert "style=" not in svg and "<style" not in svg and "<script" not in svg
        assert 'viewBox="' in svg and 'width="100%"' in svg


# --- The printable yearly report -----------------------------------------------------------------------

def test_the_yearly_report_prints_on_a4_with_the_sentence_on_top(admin_client, world):
    response = admin_client.get("/staff/reports/yearly?year=2026")

    html = text_of(response)
    assert response.status_code == 200
    assert html.index("调处率 80.0%") < html.index("<svg ")
    assert "全部区县 2026 年度报告" in html
    # Until 2026 is over the period ends today and says so (reports.figures.period_label's rule).
    from registry.clock import today_in_china

    today = today_in_china()
    if today.year == 2026:
        assert f"统计期间：2026-01-01 至 {today.isoformat()}（北京时间），年度尚未结束" in html
    else:
        assert "统计期间：2026-01-01 至 2026-12-31（北京时间）" in html
    assert "生成时间：" in html and "口径说明" in html
    assert "css/report.css" in html and "js/print.js" in html
    assert "/export/" not in html  # a printed report has no download links
    # The issuing body's letterhead, and its name in the footer (pages are numbered by report.css @page).
    assert html.index('class="a4-issuer" lang="zh-CN">西子市消费者协会') < html.index("年度报告</h1>")
    assert "西子市消费者协会 · 生成时间：" in html
    no_personal_data(html)


def test_the_print_stylesheet_sets_a4(app):
    from pathlib import Path

    css = (Path(app.static_folder) / "css" / "report.css").read_text(encoding="utf-8")
    assert "@page { size: A4 portrait;" in css
    assert "break-inside: avoid" in css


def test_a_bad_year_is_refused(admin_client, world):
    response = admin_client.get("/staff/reports/yearly?year=abc")

    assert response.status_code == 400
    assert "请选择年份。" in text_of(response)


# --- Public /stats -------------------------------------------------------------------------------------

def test_stats_shows_this_year_so_far_and_last_year_to_everyone(client, world, clock):
    clock.set(noon_in_beijing(date(2027, 1, 10)))

    response = client.get("/stats")

    html = text_of(response)
    assert response.status_code == 200
    # 2027 so far: the online consultation, c5's mediation (300.00) on 5 January; nothing accepted yet.
    assert ("2027年1月1日至2027年1月10日接待来信、来电、来访、咨询 1 人次；受理投诉 0 件，调处 0 件，"
            "调处率 暂无；为消费者挽回经济损失 0.03 万元。") in html
    assert year_words(2026) + "接待来信、来电、来访、咨询 3 人次；受理投诉 5 件，调处 4 件，调处率 80.0%" in html
    assert html.count('class="chart-svg"') >= 4
    no_personal_data(html)
    assert "欧***" not in html and "138****2301" not in html


def test_stats_may_be_cached_and_answers_a_conditional_request(client, world):
    first = client.get("/stats")

    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers["ETag"]
    assert {"Cookie", "Accept-Language"} <= set(v.strip() for v in first.headers["Vary"].split(","))
    assert "Set-Cookie" not in first.headers
    again = client.get("/stats", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_stats_for_a_signed_in_visitor_is_not_cached(client, world, make_user, login_as):
    login_as(client, make_user(role="staff", name="工作人员"))

    response = client.get("/stats")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_the_footer_links_to_stats(client):
    assert 'href="/stats"' in text_of(client.get("/"))


# --- Stored reports (flask reports snapshot) ------------------------------------------------------------

def test_a_stored_report_reads_back_equal_to_the_counted_one(app, world):
    from registry.reports import snapshots
    from registry.reports.figures import period_label, build_report

    counted = build_report(date(2026, 1, 1), date(2027, 1, 1), None)
    snapshots.store([counted])
    db.session.commit()

    assert snapshots.stored_report(date(2026, 1, 1), date(2027, 1, 1), None) == counted
    assert snapshots.stored_report(date(2026, 1, 1), date(2027, 1, 1), "西湖区") is None  # another key


def test_stats_shows_the_stored_figures_and_when_they_were_counted(client, world, runner, monkeypatch):
    from registry.reports import snapshots
    from registry.reports.models import ReportSnapshot

    result = runner.invoke(args=["reports", "snapshot"])  # today is TODAY (fixed_today)
    assert result.exit_code == 0, result.output
    assert "Stored 2 report(s)" in result.output
    assert db.session.query(ReportSnapshot).count() == 2

    from registry.reports.figures import build_report, headline_sentence
    expected = headline_sentence(build_report(date(2026, 1, 1), date(2026, 11, 29), None))
    assert "2026年1月1日至2026年11月28日" in expected

    # The page reads what the job stored and does not count again.
    monkeypatch.setattr(snapshots, "build_report", lambda *a, **k: pytest.fail("/stats recounted"))
    html = text_of(client.get("/stats"))
    assert expected in html
    assert "数据更新于" in html


def test_a_stale_stored_report_is_counted_again(client, world, monkeypatch):
    from datetime import timedelta

    from registry.reports import snapshots
    from registry.reports.figures import build_report

    counted = build_report(date(2026, 1, 1), date(2026, 11, 29), None)
    stale = build_report(date(2026, 1, 1), date(2026, 11, 29), None)
    stale.complaints_accepted = 999  # what an old run stored
    snapshots.store([stale], now=snapshots.utcnow() - snapshots.MAX_AGE - timedelta(minutes=1))
    db.session.commit()

    html = text_of(client.get("/stats"))

    assert "受理投诉 999 件" not in html
    assert f"受理投诉 {counted.complaints_accepted} 件" in html
