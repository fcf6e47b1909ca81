"""The association's figures for a period: the one function every report, export, page and API uses.

Definitions (口径; the report page shows the same in its 口径说明 section):

- A period is [start, end) in Beijing calendar days (Asia/Shanghai): `start` 00:00 up to, not including,
  `end` 00:00. Stored times are UTC and compared with those two instants. A district narrows every figure
  to shops (complaints, signatures, sanctions, lapses) or consultations in that district.
- consultations: entries of the consultations log received in the period, by channel (来访/来电/来信/网络).
- received (收到投诉): complaints filed in the period, whatever became of them. The breakdowns by clause,
  shop category, district and township and by month count these.
- accepted (受理): complaints accepted in the period (decided in the period and not refused), even if later
  withdrawn. refused (不予受理): refused in the period, by statutory ground. A complaint filed on 31 December
  and accepted on 2 January is received in one year and accepted in the next.
- mediated (调处): complaints closed in the period with a resolution: settled by agreement after the shop's
  offer (和解, outcome "agreed") or mediated successfully by staff (调解成功, outcome "mediated"). A failed
  mediation (调解未成功) is finished but not 调处; refused and withdrawn complaints are never 调处.
- finished (办结): complaints closed in the period after acceptance, with any outcome (agreed, mediated,
  failed); withdrawn ones are not counted.
- mediation rate (调处率) = mediated ÷ finished, both closed in the period, to one decimal. It says how many of
  the cases the association saw through ended in a resolution; cases still open do not lower it, and it
  cannot exceed 100 % when a period closes cases accepted in the one before. None when nothing finished.
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

from flask_babel import gettext as _
from sqlalchemy import Date, Integer, and_, case, cast, func, literal_column, select

from registry.complaints import states
from registry.complaints.models import CLAUSE_KINDS, REFUSAL_GROUNDS, CallBack, Complaint
from registry.consultations.models import CHANNELS
from registry.consultations.queries import count_by_channel
from registry.clock import utcnow
from registry.extensions import db
from registry.merchants.models import CATEGORIES, CAUSE_REINSTATED, CAUSE_REPAIRED, Merchant, Standing, StandingChange
from registry.moderation.models import (ACTIVE, APPEAL_GRANTED, APPEAL_PENDING, END_APPEAL_GRANTED, ENDED,
                                        FLAG_DISMISSED, FLAG_KINDS, FLAG_MISUSED_BADGE, REVOCATION, SANCTION_KINDS,
                                        REPAIR_GRANTED, SUSPENSION, WARNING, Appeal, CreditRepair, Flag, Sanction)
from registry.pledges.models import Signature
from registry.clock import first_of_month, start_of_china_day

RESOLVED_OUTCOMES = (states.AGREED, states.MEDIATED)
FINISHED_OUTCOMES = (states.AGREED, states.MEDIATED, states.FAILED)
# The longest period a report covers (the period picker refuses longer ones).
MAX_PERIOD_DAYS = 5 * 366


def _one_decimal(value: float | Decimal) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


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
    def mediation_rate(self) -> float | None:
        """调处率 in percent, one decimal: mediated ÷ finished; None when nothing finished."""
        if not self.complaints_finished:
            return None
        return _one_decimal(Decimal(self.complaints_mediated * 100) / Decimal(self.complaints_finished))

    @property
    def followup_rate(self) -> float | None:
        """回访率 in percent, one decimal: followed up ÷ finished; None when nothing finished."""
        if not self.complaints_finished:
            return None
        return _one_decimal(Decimal(self.complaints_followed_up * 100) / Decimal(self.complaints_finished))

    @property
    def amount_recovered_yuan(self) -> str:
        return str((Decimal(self.amount_recovered_cents) / 100).quantize(Decimal("0.01")))

    @property
    def amount_recovered_wan(self) -> str:
        """万元 with two decimals, as the yearly sentence has it."""
        return str((Decimal(self.amount_recovered_cents) / 1_000_000).quantize(Decimal("0.01"), ROUND_HALF_UP))

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


def _complaints(district: str | None, *columns, join: bool = False):
    """SELECT columns FROM complaints, joined to the shops when a district narrows it (or `join`)."""
    statement = select(*columns).select_from(Complaint)
    if district or join:
        statement = statement.join(Merchant, Complaint.merchant_id == Merchant.id)
    return statement.where(Merchant.district == district) if district else statement


def _in(column, lower: datetime, upper: datetime):
    return and_(column >= lower, column < upper)


def _grouped(statement) -> dict:
    return {key: int(count) for key, count in db.session.execute(statement)}


def _beijing_day(column):
    """The Beijing calendar day of a stored UTC time, as a number two of which subtract to whole days.

    China has kept UTC+8 all year since 1991, so on SQLite (which stores UTC text) +8 hours is exact.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.julianday(func.date(column, "+8 hours"))


def _median_days(district: str | None, earlier, later, *conditions) -> float | None:
    """Median calendar days between two times of the matching complaints, from a histogram counted in
    SQL (days → how many), so a year of cases is a few dozen rows, not every case."""
    days = cast(_beijing_day(later) - _beijing_day(earlier), Integer).label("days")
    histogram = sorted((int(d), int(n)) for d, n in db.session.execute(
        _complaints(district, days, func.count()).where(*conditions).group_by(literal_column("days"))))
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
    return _one_decimal((value_at((total - 1) // 2) + value_at(total // 2)) / 2)


def _shops(statement, district: str | None) -> int:
    if district:
        statement = statement.where(Merchant.district == district)
    return int(db.session.scalar(statement) or 0)


def _sanctioned(kind: str, moment_column, lower: datetime, upper: datetime, district: str | None) -> int:
    statement = (select(func.count(func.distinct(Sanction.merchant_id)))
                 .join(Merchant, Sanction.merchant_id == Merchant.id)
                 .where(Sanction.kind == kind, Sanction.status.in_((ACTIVE, ENDED)), _in(moment_column, lower, upper),
                        (Sanction.end_reason.is_(None)) | (Sanction.end_reason != END_APPEAL_GRANTED)))
    return _shops(statement, district)


def _lapsed(lower: datetime, upper: datetime, district: str | None) -> int:
    """Shops whose standing changed to lapsed in the period, not counting reinstatements (which
    leave a shop lapsed until it signs again)."""
    statement = (select(func.count(func.distinct(StandingChange.merchant_id)))
                 .join(Merchant, StandingChange.merchant_id == Merchant.id)
                 .where(StandingChange.new == Standing.LAPSED.value,
                        StandingChange.cause.not_in((CAUSE_REINSTATED, CAUSE_REPAIRED)),
                        _in(StandingChange.at, lower, upper)))
    return _shops(statement, district)


def _for_district(statement, merchant_column, district: str | None):
    if not district:
        return statement
    return statement.join(Merchant, merchant_column == Merchant.id).where(Merchant.district == district)


def moderation_figures(lower: datetime, upper: datetime, district: str | None) -> dict:
    """The moderation counts of [lower, upper) as Report fields (definitions in the module docstring)."""
    flags = _grouped(_for_district(select(Flag.kind, func.count()), Flag.merchant_id, district)
                     .where(_in(Flag.raised_at, lower, upper)).group_by(Flag.kind))
    dismissed = db.session.scalar(_for_district(select(func.count(Flag.id)), Flag.merchant_id, district).where(
        Flag.status == FLAG_DISMISSED, _in(Flag.resolved_at, lower, upper)))
    took_effect = func.coalesce(Sanction.approved_at, Sanction.issued_at)
    sanctions = _grouped(_for_district(select(Sanction.kind, func.count()), Sanction.merchant_id, district)
                         .where(Sanction.status.in_((ACTIVE, ENDED)), _in(took_effect, lower, upper))
                         .group_by(Sanction.kind))
    appeals = _grouped(_for_district(select(Appeal.status, func.count()), Appeal.merchant_id, district)
                       .where(Appeal.status != APPEAL_PENDING, _in(Appeal.decided_at, lower, upper))
                       .group_by(Appeal.status))
    repairs = db.session.scalar(_for_district(select(func.count(CreditRepair.id)), CreditRepair.merchant_id, district)
                                .where(CreditRepair.status == REPAIR_GRANTED, _in(CreditRepair.decided_at, lower, upper)))
    return {
        "flags_by_kind": {kind: flags.get(kind, 0) for kind in FLAG_KINDS},
        "flags_dismissed": int(dismissed or 0),
        "sanctions_by_kind": {kind: sanctions.get(kind, 0) for kind in SANCTION_KINDS},
        "appeals_decided": sum(appeals.values()),
        "appeals_granted": appeals.get(APPEAL_GRANTED, 0),
        "repairs_granted": int(repairs or 0),
    }


def build_report(start: date, end: date, district: str | None = None) -> Report:
    """All figures for [start, end) in Beijing days, for one district or (None) the whole area."""
    if end <= start:
        raise ValueError("end must be after start")
    district = district or None
    lower, upper = start_of_china_day(start), start_of_china_day(end)
    received = _in(Complaint.filed_at, lower, upper)
    decided = _in(Complaint.decided_at, lower, upper)
    closed = and_(Complaint.status == states.CLOSED, _in(Complaint.closed_at, lower, upper))

    # Complaints received: one pass, grouped by everything the breakdowns need (district, township,
    # category, clause and month), summed up below. The month is the index of the first month boundary
    # the filing time falls before, grouped by its alias (bound parameters differ between SELECT and GROUP BY).
    months = months_between(start, end)
    month_index = case(*[(Complaint.filed_at < start_of_china_day(b), index) for index, (_k, _a, b) in enumerate(months)],
                       else_=len(months) - 1).label("month_index")
    received_rows = db.session.execute(
        _complaints(district, Merchant.district, Merchant.township, Merchant.category, Complaint.clause_kind,
                    month_index, func.count(), join=True)
        .where(received)
        .group_by(Merchant.district, Merchant.township, Merchant.category, Complaint.clause_kind,
                  literal_column("month_index"))).all()
    by_clause = dict.fromkeys(CLAUSE_KINDS, 0)
    by_category = dict.fromkeys(CATEGORIES, 0)
    by_month = dict.fromkeys((key for key, _a, _b in months), 0)
    townships: dict[tuple[str, str], int] = {}
    for row_district, township, category, clause, month, count in received_rows:
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
            _complaints(district, Complaint.refusal_ground,
                        func.sum(case((Complaint.status == states.REFUSED, 1), else_=0)),
                        func.sum(case((Complaint.status != states.REFUSED, 1), else_=0)))
            .where(decided).group_by(Complaint.refusal_ground)):
        accepted += int(other or 0)
        if ground is not None:
            refused_by_ground[ground] = refused_by_ground.get(ground, 0) + int(refused or 0)
    outcomes, recovered = {}, 0
    for outcome, count, amount in db.session.execute(
            _complaints(district, Complaint.outcome, func.count(), func.sum(Complaint.amount_recovered_cents))
            .where(closed).group_by(Complaint.outcome)):
        outcomes[outcome] = int(count)
        recovered += int(amount or 0)
    withdrawn = db.session.scalar(_complaints(district, func.count()).where(
        Complaint.status == states.WITHDRAWN, _in(Complaint.closed_at, lower, upper)))

    satisfaction = _satisfaction(district, lower, upper)
    responses = sum(satisfaction.values())
    average = (_one_decimal(Decimal(sum(score * n for score, n in satisfaction.items())) / Decimal(responses))
               if responses else None)

    signed = _shops(select(func.count(func.distinct(Signature.merchant_id)))
                    .join(Merchant, Signature.merchant_id == Merchant.id)
                    .where(_in(Signature.signed_at, lower, upper)), district)

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
        complaints_followed_up=_followed_up(district, closed),
        **moderation_figures(lower, upper, district),
    )


# --- 回访: staff call-backs and the consumer's own survey --------------------------------------------

def _followed_up(district: str | None, closed) -> int:
    """Finished complaints closed in the period with a reached call-back or a survey (each once)."""
    reached = select(CallBack.id).where(CallBack.complaint_id == Complaint.id, CallBack.reached.is_(True)).exists()
    return int(db.session.scalar(_complaints(district, func.count()).where(
        closed, Complaint.outcome.in_(FINISHED_OUTCOMES), Complaint.followup_at.is_not(None) | reached)) or 0)


def _satisfaction(district: str | None, lower: datetime, upper: datetime) -> dict[int, int]:
    """Score → complaints, one score per complaint: its survey, else its last reached call-back."""
    counts = _grouped(_complaints(district, Complaint.followup_satisfaction, func.count())
                      .where(_in(Complaint.followup_at, lower, upper), Complaint.followup_satisfaction.is_not(None))
                      .group_by(Complaint.followup_satisfaction))
    last_call = (select(func.max(CallBack.id).label("id"))
                 .where(CallBack.reached.is_(True), CallBack.satisfaction.is_not(None))
                 .group_by(CallBack.complaint_id).subquery())
    for score, count in db.session.execute(
            _complaints(district, CallBack.satisfaction, func.count())
            .join(CallBack, CallBack.complaint_id == Complaint.id).join(last_call, last_call.c.id == CallBack.id)
            .where(Complaint.followup_at.is_(None), _in(CallBack.called_at, lower, upper))
            .group_by(CallBack.satisfaction)):
        counts[int(score)] = counts.get(int(score), 0) + int(count)
    return counts


def period_label(start: date, end: date) -> str:
    """The period in words: 2026年全年, 2026年第一季度, 2026年3月, or 2026年1月5日至2026年2月10日."""
    last = date.fromordinal(end.toordinal() - 1)
    if start.month == 1 and start.day == 1 and end == date(start.year + 1, 1, 1):
        return _("%(year)d年全年", year=start.year)
    if start.day == 1 and start.month in (1, 4, 7, 10) and end == first_of_month(start, 3):
        return _("%(year)d年第%(quarter)s季度", year=start.year,
                 quarter=(_("一"), _("二"), _("三"), _("四"))[(start.month - 1) // 3])
    if start.day == 1 and end == first_of_month(start, 1):
        return _("%(year)d年%(month)d月", year=start.year, month=start.month)
    return _("%(start)s至%(end)s", start=_("%(year)d年%(month)d月%(day)d日", year=start.year, month=start.month,
                                             day=start.day),
             end=_("%(year)d年%(month)d月%(day)d日", year=last.year, month=last.month, day=last.day))


def headline_sentence(report: Report) -> str:
    """The sentence the association's yearly report opens with, filled in with this report's figures."""
    rate = f"{report.mediation_rate:.1f}%" if report.mediation_rate is not None else _("暂无")
    where = period_label(report.start, report.end)
    if report.district:
        where = _("%(district)s%(period)s", district=report.district, period=where)
    return _("%(period)s接待来信、来电、来访、咨询 %(consultations)d 人次；受理投诉 %(accepted)d 件，调处 %(mediated)d 件，"
             "调处率 %(rate)s；为消费者挽回经济损失 %(amount)s 万元。",
             period=where, consultations=report.consultations_total, accepted=report.complaints_accepted,
             mediated=report.complaints_mediated, rate=rate, amount=report.amount_recovered_wan)
