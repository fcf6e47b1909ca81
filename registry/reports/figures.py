"""The association's figures for a period: the one function every report, export, page and API uses.

Definitions (口径; the report page shows the same in its 口径说明 section):

- A period is [start, end) in Beijing calendar days (Asia/Shanghai): `start` 00:00 up to, not including,
  `end` 00:00. Stored times are UTC and compared with those two instants. A district narrows every figure
  to shops (complaints, signatures, sanctions, lapses) or consultations in that district.
- Every complaint is counted once whatever its channel (网上 QR form, or registered by staff from 来电,
  来信, 来访, 网络 other platforms); a complaint staff marked a duplicate of another (status "duplicate")
  is never counted: the case that carries on is. A complaint against a business not in the registry
  counts in the business's district and township, and in the category "other".
- consultations: entries of the consultations log received in the period, by channel (来访/来电/来信/网络).
- receptions (接待来信、来电、来访、咨询 人次, the yearly headline): the consultations above plus the
  complaints received in the period that staff registered from a phone call, letter, visit or another
  platform, except those turned from a consultation (that contact is already counted); online QR
  complaints involved no reception. By channel, a consultation's 网络 counts as 网络.
- received (收到投诉): complaints whose received date (the day they reached the association: the
  filing day online, the day of the call or visit or the letter's date for staff intake) is in the
  period, whatever became of them. The breakdowns by channel, clause, shop category, district and
  township and by month count these.
- accepted (受理): complaints accepted in the period (decided in the period and not refused), even if later
  withdrawn. refused (不予受理): refused in the period, by statutory ground. A complaint filed on 31 December
  and accepted on 2 January is received in one year and accepted in the next.
- handled (调处), as consumer associations publish it: of the complaints accepted in the period, those
  handled to a conclusion (closed by agreement, by successful mediation or by a mediation that failed)
  before the period ended. Withdrawn complaints are not 调处. handling rate (调处率) = handled ÷ accepted,
  to one decimal (None when nothing was accepted), so the headline adds up: "受理 N 件，调处 M 件，
  调处率 M÷N"; it cannot exceed 100 %, and a case accepted late in the period and still open lowers it.
- resolved (和解或调解成功, `complaints_mediated`): complaints closed in the period with a resolution:
  settled by agreement after the shop's offer (和解, outcome "agreed") or mediated successfully by staff
  (调解成功, outcome "mediated"). finished (办结): complaints closed in the period after acceptance, with
  any outcome (agreed, mediated, failed); withdrawn ones are not counted.
- mediation success rate (调解成功率, `resolution_rate`) = resolved ÷ finished, both closed in the period, to
  one decimal; None when nothing finished. (The statistics API's `mediation_rate` is this rate, kept
  under its old name for existing readers.)
- same-day acceptance (当日受理率) and median acceptance time (working days), overall, by channel and by
  township: over the complaints accepted in the period, counted in working days from the received date
  (reports.speed: arriving on a non-working day counts from the next working day; accepted the same
  working day = 0 days). 当日受理率 = accepted the same working day ÷ accepted, to one decimal.
- amount recovered (挽回经济损失): sum of amount_recovered_cents of complaints closed in the period
  (agreed: the shop's accepted offer; mediated: the amount staff recorded; failed: 0).
- median days to accept: calendar days (Beijing dates, not working days) from filing to acceptance, over
  complaints accepted in the period; median days to close: calendar days from filing to closing, over the
  finished complaints above. A case accepted on the day it was filed took 0 days.
- shops signed: shops with a signature made in the period (a shop that re-signed counts once).
  lapsed: shops whose standing was written down as lapsed in the period (merchants' StandingChange records;
  a reinstatement, which also leaves a shop lapsed until it signs again, is not a lapse).
  warned / suspended: shops given a warning / suspension issued in the period; revoked: shops whose
  revocation was approved (took effect) in the period. Proposals, rejected proposals and sanctions
  overturned on appeal are not counted.
- followed up (回访): finished complaints (办结, above) that have, by the time the report is made, a staff
  call-back that reached the consumer or the consumer's own follow-up survey; unreached call attempts do
  not count. A case with both counts once. followup rate (回访率) = followed up ÷ finished, to one decimal;
  None when nothing finished.
- satisfaction (满意度): one score (1–5) per complaint, from the consumer's own survey when there is one
  (their own answer, not relayed), otherwise from the last reached staff call-back recorded for it;
  counted in the period in which that answer was given. Their number and average, to one decimal.

Moderation (the yearly transparency section of /stats; counts only, never who reported or complained):

- flags raised: flags (a look at a shop) raised in the period, by kind: a rule fired on accepted complaints,
  a consumer reported a misused badge (misuse reports), or staff raised one. flags dismissed: flags closed
  in the period as needing no action (a flag that led to a sanction is "actioned", not dismissed).
- sanctions by kind: decisions that took effect in the period — warnings and suspensions when issued,
  revocations and reinstatements when the second officer approved them; proposals and rejected proposals
  are not counted, and a sanction later overturned on appeal still counts here (the appeals below show it).
  Unlike shops warned/suspended/revoked above, each decision counts, not each shop.
- appeals decided: appeals decided in the period; granted: those of them that lifted the sanction.
- repairs granted: credit repair (信用修复) applications granted in the period (for a revocation, when the
  second officer approved), each ending a mark early.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, case, cast, func, literal_column, select

from registry.complaints import states
from registry.complaints.models import CHANNELS as COMPLAINT_CHANNELS, CLAUSE_KINDS, REFUSAL_GROUNDS, Complaint
from registry.complaints.queries import PLACE_DISTRICT, PLACE_TOWNSHIP
from registry.consultations.models import CHANNELS, Consultation
from registry.consultations.queries import count_by_channel
from registry.reports import speed
from registry.reports.counting import (FINISHED_OUTCOMES, beijing_date, beijing_day, count_shops, counted_complaints,
                                      grouped, one_decimal, within)
from registry.reports.followups import followed_up, satisfaction_scores
from registry.reports.moderation_counts import moderation_figures
from registry.clock import utcnow
from registry.extensions import db
from registry.merchants.models import CATEGORIES, CAUSE_REINSTATED, CAUSE_REPAIRED, Merchant, Standing, StandingChange
from registry.moderation.models import (ACTIVE, END_APPEAL_GRANTED, ENDED, FLAG_MISUSED_BADGE, REVOCATION, SUSPENSION,
                                        WARNING, Sanction)
from registry.pledges.models import Signature
from registry.clock import first_of_month, start_of_china_day, today_in_china

RESOLVED_OUTCOMES = (states.AGREED, states.MEDIATED)
# The longest period a report covers (the period picker refuses longer ones).
MAX_PERIOD_DAYS = 5 * 366


def months_between(start: date, end: date) -> list[tuple[str, date, date]]:
    """("YYYY-MM", first day, day after) for every month [start, end) touches, clipped to the period."""
    months = []
    first = date(start.year, start.month, 1)
    while first < end:
        following = first_of_month(first, 1)
        months.append((f"{first:%Y-%m}", max(first, start), min(following, end)))
        first = following
    return months


@dataclass
class Report:
    """Every figure of one period (see the module docstring for what each one counts)."""

    start: date
    end: date  # exclusive
    district: str | None
    generated_at: datetime
    consultations_by_channel: dict[str, int]
    complaints_received: int
    complaints_accepted: int
    complaints_refused: int
    refused_by_ground: dict[str, int]
    complaints_agreed: int
    complaints_mediated_by_staff: int
    complaints_mediation_failed: int
    complaints_withdrawn: int
    amount_recovered_cents: int
    by_clause: dict[str, int]
    by_category: dict[str, int]
    by_district: dict[str, int]
    by_township: list[tuple[str, str, int]]  # (district, township, complaints received), most first
    by_month: dict[str, int]
    median_days_to_accept: float | None
    median_days_to_close: float | None
    shops_signed: int
    shops_lapsed: int
    shops_warned: int
    shops_suspended: int
    shops_revoked: int
    satisfaction_responses: int
    satisfaction_average: float | None
    satisfaction_counts: dict[int, int] = field(default_factory=dict)
    complaints_followed_up: int = 0  # 回访: finished complaints with a reached call-back or a survey
    # Moderation (see "Moderation" in the module docstring).
    flags_by_kind: dict[str, int] = field(default_factory=dict)
    flags_dismissed: int = 0
    sanctions_by_kind: dict[str, int] = field(default_factory=dict)
    appeals_decided: int = 0
    appeals_granted: int = 0
    repairs_granted: int = 0

    @property
    def flags_raised(self) -> int:
        return sum(self.flags_by_kind.values())

    @property
    def misuse_reports(self) -> int:
        """Consumers' reports of a misused badge (flags of that kind)."""
        return self.flags_by_kind.get(FLAG_MISUSED_BADGE, 0)
    # Complaints by channel and the speed of acceptance (see the module docstring). A stored report
    # written before these existed lacks them and is recomputed instead of read (reports.snapshots).
    received_by_channel: dict[str, int] = field(default_factory=dict)
    complaints_handled: int = 0
    handled_by_channel: dict[str, int] = field(default_factory=dict)
    receptions_by_channel: dict[str, int] = field(default_factory=dict)
    acceptance: dict = field(default_factory=dict)  # reports.speed.summary
    acceptance_by_channel: dict[str, dict] = field(default_factory=dict)
    acceptance_by_township: list[tuple[str, str, dict]] = field(default_factory=list)

    @property
    def last_day(self) -> date:
        """The last day the period includes (end is exclusive)."""
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def consultations_total(self) -> int:
        return sum(self.consultations_by_channel.values())

    @property
    def complaints_mediated(self) -> int:
        """调处: closed in the period by agreement or by successful mediation."""
        return self.complaints_agreed + self.complaints_mediated_by_staff

    @property
    def complaints_finished(self) -> int:
        """办结: accepted complaints closed in the period with any outcome."""
        return self.complaints_mediated + self.complaints_mediation_failed

    @property
    def resolution_rate(self) -> float | None:
        """调解成功率 in percent, one decimal: resolved ÷ finished; None when nothing finished."""
        if not self.complaints_finished:
            return None
        return one_decimal(Decimal(self.complaints_mediated * 100) / Decimal(self.complaints_finished))

    @property
    def followup_rate(self) -> float | None:
        """回访率 in percent, one decimal: followed up ÷ finished; None when nothing finished."""
        if not self.complaints_finished:
            return None
        return one_decimal(Decimal(self.complaints_followed_up * 100) / Decimal(self.complaints_finished))

    @property
    def mediation_rate(self) -> float | None:
        """The statistics API's old name of resolution_rate (not 调处率: see handling_rate)."""
        return self.resolution_rate

    @property
    def handling_rate(self) -> float | None:
        """调处率 in percent, one decimal: handled ÷ accepted; None when nothing was accepted."""
        if not self.complaints_accepted:
            return None
        return one_decimal(Decimal(self.complaints_handled * 100) / Decimal(self.complaints_accepted))

    @property
    def receptions_total(self) -> int:
        """接待来信、来电、来访、咨询 人次."""
        return sum(self.receptions_by_channel.values())

    @property
    def amount_recovered_yuan(self) -> str:
        return str((Decimal(self.amount_recovered_cents) / 100).quantize(Decimal("0.01")))

    def public_summary(self) -> dict:
        """Headline figures, JSON-safe and free of personal data (the API and /stats publish these)."""
        return {
            "period_start": self.start.isoformat(),
            "period_end": self.end.isoformat(),
            "district": self.district,
            "consultations_total": self.consultations_total,
            "consultations_by_channel": {channel: self.consultations_by_channel.get(channel, 0)
                                         for channel in CHANNELS},
            "complaints_received": self.complaints_received,
            "complaints_accepted": self.complaints_accepted,
            "complaints_refused": self.complaints_refused,
            "complaints_mediated": self.complaints_mediated,
            "mediation_rate": self.mediation_rate,
            "complaints_handled": self.complaints_handled,
            "handling_rate": self.handling_rate,
            "resolution_rate": self.resolution_rate,
            "receptions_total": self.receptions_total,
            "complaints_by_channel": {channel: self.received_by_channel.get(channel, 0)
                                      for channel in COMPLAINT_CHANNELS},
            "acceptance": dict(self.acceptance),
            "acceptance_by_channel": {channel: dict(value) for channel, value in self.acceptance_by_channel.items()},
            "acceptance_by_township": [{"district": d, "township": t, **value}
                                       for d, t, value in self.acceptance_by_township],
            "amount_recovered_yuan": self.amount_recovered_yuan,
            "complaints_by_clause": dict(self.by_clause),
            "complaints_by_month": dict(self.by_month),
            "complaints_by_district": dict(self.by_district),
            "shops_signed": self.shops_signed,
            "shops_lapsed": self.shops_lapsed,
            "shops_warned": self.shops_warned,
            "shops_suspended": self.shops_suspended,
            "shops_revoked": self.shops_revoked,
            "median_days_to_accept": self.median_days_to_accept,
            "median_days_to_close": self.median_days_to_close,
            "satisfaction_average": self.satisfaction_average,
            "satisfaction_responses": self.satisfaction_responses,
        }


def _median_days(district: str | None, earlier, later, *conditions) -> float | None:
    """Median calendar days between two times of the matching complaints, from a histogram counted in
    SQL (days → how many), so a year of cases is a few dozen rows, not every case."""
    days = cast(beijing_day(later) - beijing_day(earlier), Integer).label("days")
    histogram = sorted((int(d), int(n)) for d, n in db.session.execute(
        counted_complaints(district, days, func.count()).where(*conditions).group_by(literal_column("days"))))
    total = sum(n for _d, n in histogram)
    if not total:
        return None

    def value_at(position: int) -> int:
        seen = 0
        for value, count in histogram:
            seen += count
            if position < seen:
                return value
        raise AssertionError("position beyond the histogram")

    # The middle value, or the mean of the two middle values when the count is even.
    return one_decimal((value_at((total - 1) // 2) + value_at(total // 2)) / 2)


def _sanctioned(kind: str, moment_column, lower: datetime, upper: datetime, district: str | None) -> int:
    statement = (select(func.count(func.distinct(Sanction.merchant_id)))
                 .join(Merchant, Sanction.merchant_id == Merchant.id)
                 .where(Sanction.kind == kind, Sanction.status.in_((ACTIVE, ENDED)), within(moment_column, lower, upper),
                        (Sanction.end_reason.is_(None)) | (Sanction.end_reason != END_APPEAL_GRANTED)))
    return count_shops(statement, district)


def _lapsed(lower: datetime, upper: datetime, district: str | None) -> int:
    """Shops whose standing changed to lapsed in the period, not counting reinstatements (which
    leave a shop lapsed until it signs again)."""
    statement = (select(func.count(func.distinct(StandingChange.merchant_id)))
                 .join(Merchant, StandingChange.merchant_id == Merchant.id)
                 .where(StandingChange.new == Standing.LAPSED.value,
                        StandingChange.cause.not_in((CAUSE_REINSTATED, CAUSE_REPAIRED)),
                        within(StandingChange.at, lower, upper)))
    return count_shops(statement, district)


# A consultation's channel as a reception's (its 网络 is another platform's, like a complaint's "network").
_CONSULTATION_RECEPTION = {"visit": "visit", "phone": "phone", "letter": "letter", "online": "network"}


def _receptions(start: date, end: date, district: str | None) -> dict[str, int]:
    """接待 人次 by channel: consultations plus the complaints staff registered, except those turned from a
    consultation (the module docstring)."""
    receptions = dict.fromkeys(COMPLAINT_CHANNELS[1:], 0)
    for channel, count in count_by_channel(start, end, district).items():
        key = _CONSULTATION_RECEPTION.get(channel, channel)
        receptions[key] = receptions.get(key, 0) + count
    registered = grouped(
        counted_complaints(district, Complaint.channel, func.count())
        .where(Complaint.received_on >= start, Complaint.received_on < end, Complaint.registered_by_id.is_not(None),
               ~select(Consultation.id).where(Consultation.complaint_id == Complaint.id).exists())
        .group_by(Complaint.channel))
    for channel, count in registered.items():
        receptions[channel] = receptions.get(channel, 0) + count
    return receptions


def build_report(start: date, end: date, district: str | None = None) -> Report:
    """All figures for [start, end) in Beijing days, for one district or (None) the whole area."""
    if end <= start:
        raise ValueError("end must be after start")
    district = district or None
    lower, upper = start_of_china_day(start), start_of_china_day(end)
    received = and_(Complaint.received_on >= start, Complaint.received_on < end)
    decided = within(Complaint.decided_at, lower, upper)
    closed = and_(Complaint.status == states.CLOSED, within(Complaint.closed_at, lower, upper))

    # Complaints received: one pass, grouped by everything the breakdowns need (district, township,
    # category, clause and month), summed up below. The month is the index of the first month boundary
    # the filing time falls before, grouped by its alias (bound parameters differ between SELECT and GROUP BY).
    months = months_between(start, end)
    month_index = case(*[(Complaint.received_on < b, index) for index, (_k, _a, b) in enumerate(months)],
                       else_=len(months) - 1).label("month_index")
    category = func.coalesce(Merchant.category, "other")
    received_rows = db.session.execute(
        counted_complaints(district, PLACE_DISTRICT, PLACE_TOWNSHIP, category, Complaint.clause_kind, Complaint.channel,
                    month_index, func.count(), join=True)
        .where(received)
        .group_by(PLACE_DISTRICT, PLACE_TOWNSHIP, category, Complaint.clause_kind, Complaint.channel,
                  literal_column("month_index"))).all()
    by_clause = dict.fromkeys(CLAUSE_KINDS, 0)
    by_category = dict.fromkeys(CATEGORIES, 0)
    by_month = dict.fromkeys((key for key, _a, _b in months), 0)
    townships: dict[tuple[str, str], int] = {}
    by_channel = dict.fromkeys(COMPLAINT_CHANNELS, 0)
    for row_district, township, category, clause, channel, month, count in received_rows:
        by_channel[channel] = by_channel.get(channel, 0) + count
        by_clause[clause] = by_clause.get(clause, 0) + count
        by_category[category] = by_category.get(category, 0) + count
        by_month[months[int(month)][0]] += count
        townships[(row_district, township)] = townships.get((row_district, township), 0) + count
    by_township = sorted(((d, t, n) for (d, t), n in townships.items()), key=lambda row: (-row[2], row[0], row[1]))
    by_district: dict[str, int] = {}
    for row_district, _township, count in by_township:
        by_district[row_district] = by_district.get(row_district, 0) + count
    by_district = dict(sorted(by_district.items(), key=lambda item: (-item[1], item[0])))

    # Decisions: accepted ones have no refusal ground; refused ones are counted per ground.
    refused_by_ground = dict.fromkeys(REFUSAL_GROUNDS, 0)
    accepted = 0
    for ground, refused, other in db.session.execute(
            counted_complaints(district, Complaint.refusal_ground,
                        func.sum(case((Complaint.status == states.REFUSED, 1), else_=0)),
                        func.sum(case((Complaint.status != states.REFUSED, 1), else_=0)))
            .where(decided).group_by(Complaint.refusal_ground)):
        accepted += int(other or 0)
        if ground is not None:
            refused_by_ground[ground] = refused_by_ground.get(ground, 0) + int(refused or 0)
    outcomes, recovered = {}, 0
    for outcome, count, amount in db.session.execute(
            counted_complaints(district, Complaint.outcome, func.count(), func.sum(Complaint.amount_recovered_cents))
            .where(closed).group_by(Complaint.outcome)):
        outcomes[outcome] = int(count)
        recovered += int(amount or 0)
    withdrawn = db.session.scalar(counted_complaints(district, func.count()).where(
        Complaint.status == states.WITHDRAWN, within(Complaint.closed_at, lower, upper)))

    accepted_here = and_(decided, Complaint.status != states.REFUSED)
    # 调处: accepted in the period and concluded (closed with any outcome) before it ended.
    handled_by_channel = dict.fromkeys(COMPLAINT_CHANNELS, 0)
    handled_by_channel.update(grouped(counted_complaints(district, Complaint.channel, func.count()).where(
        accepted_here, Complaint.status == states.CLOSED, Complaint.closed_at < upper).group_by(Complaint.channel)))
    accepted_on = beijing_date(Complaint.decided_at).label("accepted_on")
    overall_speed, speed_by_channel, speed_by_township = speed.breakdowns(db.session.execute(
        counted_complaints(district, Complaint.channel, PLACE_DISTRICT, PLACE_TOWNSHIP, Complaint.received_on,
                    accepted_on, func.count(), join=True).where(accepted_here)
        .group_by(Complaint.channel, PLACE_DISTRICT, PLACE_TOWNSHIP, Complaint.received_on,
                  literal_column("accepted_on"))), COMPLAINT_CHANNELS)

    satisfaction = satisfaction_scores(district, lower, upper)
    responses = sum(satisfaction.values())
    average = (one_decimal(Decimal(sum(score * n for score, n in satisfaction.items())) / Decimal(responses))
               if responses else None)

    signed = count_shops(select(func.count(func.distinct(Signature.merchant_id)))
                    .join(Merchant, Signature.merchant_id == Merchant.id)
                    .where(within(Signature.signed_at, lower, upper)), district)

    return Report(
        start=start, end=end, district=district, generated_at=utcnow(),
        consultations_by_channel=count_by_channel(start, end, district),
        complaints_received=sum(by_clause.values()),
        complaints_accepted=accepted,
        complaints_refused=sum(refused_by_ground.values()),
        refused_by_ground=refused_by_ground,
        complaints_agreed=outcomes.get(states.AGREED, 0),
        complaints_mediated_by_staff=outcomes.get(states.MEDIATED, 0),
        complaints_mediation_failed=outcomes.get(states.FAILED, 0),
        complaints_withdrawn=int(withdrawn or 0),
        amount_recovered_cents=recovered,
        by_clause=by_clause, by_category=by_category, by_district=by_district, by_township=by_township,
        by_month=by_month,
        median_days_to_accept=_median_days(district, Complaint.filed_at, Complaint.decided_at, decided,
                                           Complaint.status != states.REFUSED),
        median_days_to_close=_median_days(district, Complaint.filed_at, Complaint.closed_at, closed,
                                          Complaint.outcome.in_(FINISHED_OUTCOMES)),
        shops_signed=signed,
        shops_lapsed=_lapsed(lower, upper, district),
        shops_warned=_sanctioned(WARNING, Sanction.issued_at, lower, upper, district),
        shops_suspended=_sanctioned(SUSPENSION, Sanction.issued_at, lower, upper, district),
        shops_revoked=_sanctioned(REVOCATION, Sanction.approved_at, lower, upper, district),
        satisfaction_responses=responses,
        satisfaction_average=average,
        satisfaction_counts={score: satisfaction.get(score, 0) for score in range(1, 6)},
        complaints_followed_up=followed_up(district, closed),
        **moderation_figures(lower, upper, district),
        received_by_channel=by_channel,
        complaints_handled=sum(handled_by_channel.values()),
        handled_by_channel=handled_by_channel,
        receptions_by_channel=_receptions(start, end, district),
        acceptance=overall_speed, acceptance_by_channel=speed_by_channel, acceptance_by_township=speed_by_township,
    )


def period_label(start: date, end: date, today: date | None = None) -> str:
    """The period in words: 2026年全年, 2026年第一季度, 2026年3月, or 2026年1月5日至2026年2月10日; a period
    not over yet (Beijing date) says how far it goes: 2026年（截至 12 月 6 日）, never 全年."""
    last = date.fromordinal(end.toordinal() - 1)
    today = today or today_in_china()
    whole_year = start.month == 1 and start.day == 1 and end == date(start.year + 1, 1, 1)
    if whole_year and last <= today:
        label = _("%(year)d年全年", year=start.year)
    elif whole_year:
        label = _("%(year)d年", year=start.year)
    elif start.day == 1 and start.month in (1, 4, 7, 10) and end == first_of_month(start, 3):
        label = _("%(year)d年第%(quarter)s季度", year=start.year,
                  quarter=(_("一"), _("二"), _("三"), _("四"))[(start.month - 1) // 3])
    elif start.day == 1 and end == first_of_month(start, 1):
        label = _("%(year)d年%(month)d月", year=start.year, month=start.month)
    else:
        label = _("%(start)s至%(end)s", start=_("%(year)d年%(month)d月%(day)d日", year=start.year,
                                                  month=start.month, day=start.day),
                  end=_("%(year)d年%(month)d月%(day)d日", year=last.year, month=last.month, day=last.day))
    if start <= today < last:
        pattern = _("M 月 d 日")  # a date pattern, translated: "d MMMM" in English
        label = _("%(period)s（截至 %(day)s）", period=label, day=format_date(today, pattern))
    return label


def amount_in_words(cents: int) -> str:
    """Money recovered as a sentence says it: 3.28 万元 in Chinese, full yuan in English (¥32,800)."""
    yuan = (Decimal(cents) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if get_locale() is None or get_locale().language == "zh":
        return _("%(amount)s 万元", amount=(yuan / 10_000).quantize(Decimal("0.01"), ROUND_HALF_UP))
    return "¥" + (f"{yuan:,.0f}" if yuan == yuan.to_integral_value() else f"{yuan:,.2f}")


def headline_sentence(report: Report) -> str:
    """The sentence the association's yearly report opens with, filled in with this report's figures."""
    rate = f"{report.handling_rate:.1f}%" if report.handling_rate is not None else _("暂无")
    where = period_label(report.start, report.end)
    if report.district:
        where = _("%(district)s%(period)s", district=report.district, period=where)
    return _("%(period)s接待来信、来电、来访、咨询 %(consultations)d 人次；受理投诉 %(accepted)d 件，调处 %(mediated)d 件，"
             "调处率 %(rate)s；为消费者挽回经济损失 %(amount)s。",
             period=where, consultations=report.receptions_total, accepted=report.complaints_accepted,
             mediated=report.complaints_handled, rate=rate, amount=amount_in_words(report.amount_recovered_cents))
