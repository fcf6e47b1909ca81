"""A report as people read it: its tables (the same on the page, in CSV and in XLSX), its charts and
the definitions shown under them.

Exports hold aggregates only — counts per channel, clause, category, district, township, month — and
never a consumer's name, phone or words. Text cells that a spreadsheet would run as a formula
(= + - @ at the start) are prefixed with an apostrophe.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.complaints.labels import CHANNEL_LABELS as COMPLAINT_CHANNEL_LABELS, CLAUSE_LABELS, REFUSAL_GROUND_LABELS
from registry.consultations.labels import CHANNEL_LABELS
from registry.merchants.labels import CATEGORY_LABELS
from registry.reports import charts
from registry.reports.figures import Report, headline_sentence, period_label
from registry.text import spreadsheet_cell, writable

CHINA_FORMAT = "%Y-%m-%d %H:%M"
_SHEET_TITLE_UNSAFE = re.compile(r"[\[\]:*?/\\]")
TOWNSHIPS_CHARTED = 15

# 口径说明: what each figure counts (the same as registry.reports.figures' docstring, for readers).
DEFINITIONS = [
    (_l("统计期间"), _l("按北京时间的自然日计算，含起始日和截止日。选定区县时，只统计该区县的店铺（投诉、签署、处理）和咨询。")),
    (_l("计数原则"), _l("每件投诉无论经哪个渠道收到（网上扫码，或工作人员登记的来电、来信、来访、网络）都只计一次；被标为重复投诉的不计，"
                     "只计继续办理的那件。投诉不在名录中的经营者的，计入该经营者所在区县、乡镇，店铺类别计为“其他”。")),
    (_l("接待咨询"), _l("咨询登记中受理时间在期内的来访、来电、来信和网络咨询，按人次计。")),
    (_l("接待来信、来电、来访、咨询"), _l("概述中的人次：期内的咨询登记，加上工作人员代为登记、收到日期在期内的来电、来信、来访和网络投诉；"
                                "由咨询转来的投诉已在咨询中计过，不重复计。消费者网上扫码提交的投诉不计入接待。")),
    (_l("收到投诉"), _l("收到日期在期内的投诉，不论后来是否受理。收到日期是投诉到达协会的日期：网上投诉为提交当天，来电、来访为当天，"
                     "来信可为信上的日期。按渠道、条款、类别、区县、乡镇和月份的分布都按收到投诉计。")),
    (_l("受理 / 不予受理"), _l("期内作出受理或不予受理决定的投诉（按决定日期计，跨期提交的投诉计入作出决定的期间）。")),
    (_l("调处"), _l("按消费者协会公布的口径：期内受理的投诉中，在期末前处理终结的件数（双方和解、调解成功或调解未成功而终结）。"
                   "撤回的投诉不计入调处。")),
    (_l("调处率"), _l("调处件数 ÷ 期内受理件数，保留一位小数，因此概述中的“受理 N 件，调处 M 件，调处率”前后对得上；期末仍在处理的投诉使调处率低于 100%。")),
    (_l("和解或调解成功、调解成功率"), _l("期内办结、且双方和解或调解成功的投诉；调解成功率 = 这些件数 ÷ 期内办结的已受理投诉"
                                "（和解＋调解成功＋调解未成功），保留一位小数。统计接口中的 mediation_rate 即调解成功率。")),
    (_l("当日受理率、受理用时"), _l("期内受理的投诉中，在收到的当个工作日内受理的比例；受理用时按工作日计，从收到日期到受理日期，"
                            "取中位数。非工作日收到的，从下一个工作日算起。按渠道和乡镇（街道）分别统计。")),
    (_l("挽回经济损失"), _l("期内办结的投诉中为消费者挽回的金额之和：和解按消费者接受的商家方案，调解成功按工作人员记录的金额。")),
    (_l("办理天数"), _l("按自然日（不是工作日）计：受理天数从提交到受理，办结天数从提交到办结，取中位数；当天受理计 0 天。")),
    (_l("店铺"), _l("签署：期内签署倡议书的店铺（续签只计一次）；过期：期内因到期或未续签被记为已过期的店铺；警示、暂停：期内作出的处理；"
                   "撤销：期内批准生效的撤销。未批准的提议和申诉成立撤回的处理不计。")),
    (_l("回访率"), _l("期内办结的投诉中，到出表时已有工作人员电话回访联系上消费者、或消费者本人在线填写了回访的件数 ÷ 期内办结件数，"
                    "保留一位小数；未接通的回访不计，同一件投诉只计一次。")),
    (_l("回访满意度"), _l("每件投诉只计一个分数（1–5 分）：有消费者本人在线回访的以本人回访为准，否则取最后一次联系上的电话回访；"
                      "按该回访的时间计入期间。统计打分件数和平均分。")),
]


@dataclass
class Table:
    key: str  # ASCII, for file names
    title: str
    columns: list[str]
    rows: list[list]


def _blank(value):
    return "—" if value is None else value


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def report_tables(report: Report) -> list[Table]:
    """Every table of the report, in page order."""
    count, item = _("数量"), _("项目")
    summary = Table("summary", _("主要数据"), [item, _("数值")], [
        [_("接待咨询（人次）"), report.consultations_total],
        [_("收到投诉（件）"), report.complaints_received],
        [_("受理（件）"), report.complaints_accepted],
        [_("不予受理（件）"), report.complaints_refused],
        [_("办结（件）"), report.complaints_finished],
        [_("调处（件）"), report.complaints_handled],
        [_("调处率（%）"), _blank(report.handling_rate)],
        [_("和解或调解成功（件）"), report.complaints_mediated],
        [_("其中：双方和解（件）"), report.complaints_agreed],
        [_("其中：调解成功（件）"), report.complaints_mediated_by_staff],
        [_("调解未成功（件）"), report.complaints_mediation_failed],
        [_("调解成功率（%）"), _blank(report.resolution_rate)],
        [_("消费者撤回（件）"), report.complaints_withdrawn],
        [_("接待来信、来电、来访、咨询（人次）"), report.receptions_total],
        [_("当日受理率（%）"), _blank(report.acceptance.get("same_day_rate"))],
        [_("受理用时中位数（工作日）"), _blank(report.acceptance.get("median_working_days"))],
        [_("挽回经济损失（元）"), _money(report.amount_recovered_cents)],
        [_("受理天数中位数（自然日）"), _blank(report.median_days_to_accept)],
        [_("办结天数中位数（自然日）"), _blank(report.median_days_to_close)],
        [_("回访（件）"), report.complaints_followed_up],
        [_("回访率（%）"), _blank(report.followup_rate)],
        [_("回访满意度平均分（1–5）"), _blank(report.satisfaction_average)],
        [_("回访打分人数"), report.satisfaction_responses],
    ])
    return [
        summary,
        Table("consultations", _("接待咨询（按渠道）"), [_("渠道"), _("人次")],
              [[str(CHANNEL_LABELS[c]), n] for c, n in report.consultations_by_channel.items()]
              + [[_("合计"), report.consultations_total]]),
        Table("refusals", _("不予受理（按依据）"), [_("依据"), count],
              [[str(REFUSAL_GROUND_LABELS[g]), n] for g, n in report.refused_by_ground.items()]),
        Table("clauses", _("收到投诉（按承诺条款）"), [_("承诺条款"), count],
              [[str(CLAUSE_LABELS.get(k, k)), n] for k, n in report.by_clause.items()]),
        Table("categories", _("收到投诉（按店铺类别）"), [_("店铺类别"), count],
              [[str(CATEGORY_LABELS.get(k, k)), n] for k, n in report.by_category.items()]),
        Table("districts", _("收到投诉（按区县）"), [_("区县"), count],
              [[d, n] for d, n in report.by_district.items()]),
        Table("townships", _("收到投诉（按乡镇、街道）"), [_("区县"), _("乡镇（街道）"), count],
              [[d, t, n] for d, t, n in report.by_township]),
        Table("months", _("收到投诉（按月份）"), [_("月份"), count], [[m, n] for m, n in report.by_month.items()]),
        Table("channels", _("投诉（按渠道）"), [_("渠道"), _("收到"), _("受理"), _("调处"), _("当日受理率（%）"),
                                            _("受理用时中位数（工作日）")],
              [[str(COMPLAINT_CHANNEL_LABELS[c]), report.received_by_channel.get(c, 0), speed["accepted"],
                report.handled_by_channel.get(c, 0), _blank(speed["same_day_rate"]), _blank(speed["median_working_days"])]
               for c, speed in report.acceptance_by_channel.items()]),
        Table("acceptance_townships", _("受理速度（按乡镇、街道）"),
              [_("区县"), _("乡镇（街道）"), _("受理"), _("当日受理率（%）"), _("受理用时中位数（工作日）")],
              [[d, t, speed["accepted"], _blank(speed["same_day_rate"]), _blank(speed["median_working_days"])]
               for d, t, speed in report.acceptance_by_township]),
        Table("shops", _("店铺承诺与处理"), [item, _("店铺数")], [
            [_("签署倡议书"), report.shops_signed],
            [_("承诺过期"), report.shops_lapsed],
            [_("警示"), report.shops_warned],
            [_("暂停"), report.shops_suspended],
            [_("撤销"), report.shops_revoked],
        ]),
        Table("satisfaction", _("回访满意度（按分数）"), [_("分数"), _("人数")],
              [[_("%(score)d 分", score=score), n] for score, n in report.satisfaction_counts.items()]),
    ]


def table_by_key(report: Report, key: str) -> Table | None:
    return next((t for t in report_tables(report) if t.key == key), None)


def _month_label(key: str, same_year: bool) -> str:
    year, month = key.split("-")
    return _("%(month)d月", month=int(month)) if same_year else key


def report_charts(report: Report) -> dict[str, str]:
    """Inline SVG charts: the monthly trend, complaints by clause, by district (when there are several)
    and by township (the largest ones)."""
    same_year = len({key[:4] for key in report.by_month}) == 1
    drawn = {
        "months": charts.column_chart(
            _("收到投诉（按月份）"), tuple(_month_label(k, same_year) for k in report.by_month),
            tuple(report.by_month.values())),
        "clauses": charts.bar_chart(
            _("收到投诉（按承诺条款）"), tuple(str(CLAUSE_LABELS.get(k, k)) for k in report.by_clause),
            tuple(report.by_clause.values())),
    }
    if len(report.by_district) > 1:
        drawn["districts"] = charts.bar_chart(_("收到投诉（按区县）"), tuple(report.by_district),
                                              tuple(report.by_district.values()))
    if report.by_township:
        top = report.by_township[:TOWNSHIPS_CHARTED]
        several = len({d for d, _t, _n in top}) > 1
        drawn["townships"] = charts.bar_chart(
            _("收到投诉（按乡镇、街道）"), tuple(f"{d} {t}" if several else t for d, t, _n in top),
            tuple(n for _d, _t, n in top))
    return drawn


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with a BOM and CRLF line ends, so Excel on Windows opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([spreadsheet_cell(c) for c in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_TITLE_UNSAFE.sub("", writable(title))[:28] or "sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]}{n}", n + 1
    used.add(name)
    return name


def xlsx_bytes(report: Report) -> bytes:
    """One workbook: a sheet saying what the report is (period, definitions), then a sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    about = workbook.active
    used: set[str] = set()
    about.title = _sheet_title(_("说明"), used)
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 90
    for row in ([_("诚信码统计报表"), ""], [_("统计期间"), period_label(report.start, report.end)],
                [_("区县"), report.district or _("全部区县")],
                [_("生成时间"), generated_text(report)], [_("概述"), headline_sentence(report)], ["", ""],
                [_("口径说明"), ""], *[[str(term), str(text)] for term, text in DEFINITIONS]):
        about.append([spreadsheet_cell(c) for c in row])
    about["A1"].font = Font(bold=True, size=13)
    for cell in about["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    for table in report_tables(report):
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.append([spreadsheet_cell(c) for c in table.columns])
        for row in table.rows:
            sheet.append([spreadsheet_cell(c) for c in row])
        for index, column in enumerate(table.columns, start=1):
            sheet.cell(row=1, column=index).font = Font(bold=True)
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = 28 if index == 1 else 16
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, Decimal):
                    cell.value, cell.number_format = float(cell.value), "#,##0.00"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def generated_text(report: Report) -> str:
    from registry.clock import local_datetime

    return local_datetime(report.generated_at, CHINA_FORMAT)


def file_stem(report: Report) -> tuple[str, str]:
    """("chengxinma-report-2026-01-01-2026-12-31[-district]", "诚信码报表_2026年全年[_西湖区]")."""
    ascii_stem = f"chengxinma-report-{report.start.isoformat()}-{report.last_day.isoformat()}"
    utf8_stem = _("诚信码报表") + "_" + period_label(report.start, report.end)
    if report.district:
        ascii_stem += "-district"
        utf8_stem += "_" + report.district
    return ascii_stem, _SHEET_TITLE_UNSAFE.sub("", utf8_stem)

