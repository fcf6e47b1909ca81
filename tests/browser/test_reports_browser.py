"""Reports in a real browser, on the demo data: the staff report (desktop and phone, no JavaScript),
the printable yearly report (screen and print media) and the public /stats page."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import expect

from registry.clock import today_in_china
from registry.extensions import db

from .pages import log_in

pytestmark = pytest.mark.browser

SENTENCE = re.compile(r"接待来信、来电、来访、咨询 (\d+) 人次；受理投诉 (\d+) 件，调处 (\d+) 件，"
                      r"调处率 ([\d.]+)%；为消费者挽回经济损失 ([\d.]+) 万元")



def load_demo(live) -> None:
    from registry.demo import load_demo as load

    with live.app.app_context():
        assert load(shop_count=30) > 0
        db.session.commit()
        db.session.remove()


def assert_real_figures(text: str) -> None:
    """The demo's year reads like the association's sentence, with numbers that are not zero."""
    match = SENTENCE.search(text)
    assert match, text
    consultations, accepted, mediated, rate, amount = match.groups()
    assert int(consultations) > 0 and int(accepted) > 0 and int(mediated) > 0
    assert 0 < float(rate) <= 100 and float(amount) > 0


def test_staff_report_yearly_print_and_public_stats(live_server, desktop_context, phone_context, shot, screenshot_dir):
    from registry.demo import DEMO_PASSWORD

    live = live_server
    load_demo(live)

    # The staff report, without JavaScript: everything is drawn on the server.
    staff = desktop_context(java_script_enabled=False).new_page()
    log_in(staff, live, "admin@demo.cxm", DEMO_PASSWORD)
    staff.goto(f"{live.url}/staff/")
    staff.locator(".staff-nav").get_by_role("link", name="报表", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("报表")
    assert_real_figures(staff.locator(".headline-sentence").inner_text())
    expect(staff.locator("svg.chart-svg").first).to_be_visible()
    expect(staff.get_by_role("heading", name="口径说明")).to_be_visible()
    shot(staff, "desktop-report-01-staff")

    # Another period: a quarter, picked with the form.
    staff.get_by_role("radio", name="按季度").check()
    staff.locator("#quarter").select_option("3")
    staff.get_by_role("button", name="生成报表").click()
    expect(staff.locator(".report-meta")).to_contain_text("第三季度")
    # A period that ends before it starts is refused with a message, and the typed dates stay.
    staff.get_by_role("radio", name="自选日期").check()
    staff.get_by_label("起始日期").fill("2026-05-01")
    staff.get_by_label("截止日期（含当天）").fill("2026-01-01")
    staff.get_by_role("button", name="生成报表").click()
    expect(staff.locator(".error")).to_have_text("截止日期不能早于起始日期。")
    expect(staff.get_by_label("起始日期")).to_have_value("2026-05-01")
    shot(staff, "desktop-report-02-bad-period")

    # The CSV download is a real file with a BOM.
    staff.goto(f"{live.url}/staff/reports")
    with staff.expect_download() as download_info:
        staff.locator("#table-clauses").get_by_role("link", name="下载 CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), "rb") as f:
        assert f.read(3) == b"\xef\xbb\xbf"

    # On a phone (the demo staff officer, limited to 西湖区).
    phone = phone_context().new_page()
    log_in(phone, live, "staff@demo.cxm", DEMO_PASSWORD)
    phone.goto(f"{live.url}/staff/reports")
    expect(phone.locator(".report-meta")).to_contain_text("西湖区")
    assert_real_figures(phone.locator(".headline-sentence").inner_text())
    shot(phone, "phone-report-01-staff")

    # The yearly report, on screen and as it prints on A4.
    yearly = desktop_context().new_page()
    log_in(yearly, live, "admin@demo.cxm", DEMO_PASSWORD)
    yearly.goto(f"{live.url}/staff/reports")
    yearly.get_by_role("link", name=re.compile("年度报告")).click()
    expect(yearly.locator(".a4-head h1")).to_contain_text("年度报告")
    expect(yearly.get_by_role("button", name="打印")).to_be_visible()  # print.js shows it
    assert_real_figures(yearly.locator(".a4-report .headline-sentence").inner_text())
    shot(yearly, "desktop-report-03-yearly")
    yearly.emulate_media(media="print")
    expect(yearly.locator(".site-header")).to_be_hidden()
    shot(yearly, "print-report-04-yearly-media", check_overflow=False)
    last_term = " ".join(yearly.locator(".definitions dt").last.inner_text().split())
    pdf = yearly.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    document = pdfium.PdfDocument(pdf)
    first = document[0]
    assert (round(first.get_width() / 72 * 25.4), round(first.get_height() / 72 * 25.4)) == (210, 297)  # A4, mm
    assert 1 < len(document) <= 6
    # No card cut at a page end: the definitions box starts and ends on one page.
    pages = [document[n].get_textpage().get_text_range() for n in range(len(document))]
    holding = [n for n, words in enumerate(pages) if "口径说明" in words]
    assert len(holding) == 1 and last_term in pages[holding[0]], holding
    # A year not yet over says how far it goes (Beijing date), never 全年.
    assert "全年" not in pages[0] or today_in_china().month == 12 and today_in_china().day == 31
    for number in range(len(document)):
        document[number].render(scale=1.4).to_pil().save(screenshot_dir / f"print-report-04-yearly-a4-page{number + 1}.png")
    assert "接待来信、来电、来访" in first.get_textpage().get_text_range()
    assert "西子市消费者协会" in first.get_textpage().get_text_range()  # the issuing body's letterhead
    for number in range(len(document)):  # every page numbered "n / N" by the print CSS (@page)
        assert f"{number + 1} / {len(document)}" in document[number].get_textpage().get_text_range()

    # Public /stats: no login, this year and last year.
    public = desktop_context().new_page()
    public.goto(f"{live.url}/")
    public.get_by_role("link", name="统计数据").click()
    expect(public.get_by_role("heading", level=1)).to_have_text("消费维权统计数据")
    assert_real_figures(public.locator(".stats-year").first.inner_text())
    expect(public.locator(".stats-year")).to_have_count(2)
    shot(public, "desktop-report-05-stats")
    public_phone = phone_context().new_page()
    public_phone.goto(f"{live.url}/stats")
    expect(public_phone.locator("svg.chart-svg").first).to_be_visible()
    shot(public_phone, "phone-report-02-stats")
