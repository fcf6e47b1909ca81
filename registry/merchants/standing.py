"""A shop's standing, worked out from plain values: the one rule every page and job asks.

The shop row stores a standing, written when something happens (a signature, a sanction, the daily
lapse and expiry jobs). What a consumer is shown can be newer than that: a signature runs out, a
re-sign deadline passes, a suspension or a warning reaches its end, all before the daily jobs write
it down. `assess` says what holds at `now`, so a QR page is never greener (or redder) than the truth,
and the jobs that write the standing down use the same answer.

Callers build the inputs from their rows (pledges: `pledge_facts`, `current_version_terms`;
moderation: `Sanction.as_facts`); nothing here reads the database, so every branch is a plain unit test.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from registry.merchants.models import Standing

ACTIVE, WARNED, SUSPENDED = Standing.ACTIVE.value, Standing.WARNED.value, Standing.SUSPENDED.value
REVOKED, LAPSED = Standing.REVOKED.value, Standing.LAPSED.value

# The sanction kinds that count against a shop, and the standing each gives, strongest first
# (the same codes as moderation.models; a reinstatement is a record, not a mark).
WARNING, SUSPENSION, REVOCATION = "warning", "suspension", "revocation"
SANCTION_IN_FORCE = "active"
STANDING_OF_KIND = {REVOCATION: REVOKED, SUSPENSION: SUSPENDED, WARNING: WARNED}
KIND_OF_STANDING = {standing: kind for kind, standing in STANDING_OF_KIND.items()}
# Standings under which the shop's signed pledge stands as a promise (a warning does not end it);
# suspended, revoked and lapsed shops' pledges are not in force, whatever their signature's dates say.
PLEDGE_IN_FORCE = (ACTIVE, WARNED)
# Standings the pledge rule judges; a suspended, revoked or pending shop stays as it is.
_PLEDGE_JUDGED = (ACTIVE, WARNED, LAPSED)

# Why a lapsed shop lapsed.
LAPSE_EXPIRED = "expired"  # no signature, or it ran out
LAPSE_NOT_RESIGNED = "not_resigned"  # on an older version after the current one's re-sign deadline

# What explains the standing `assess` returns.
BY_SANCTION = "sanction"  # a sanction in force (Assessment.sanction)
BY_LAPSE = "lapse"  # the pledge no longer holds (Assessment.lapse)
BY_PLEDGE = "pledge"  # a signature that holds, nothing against the shop
BY_RECORD = "record"  # only the stored standing and its stored reason (pending, reinstated, …)


@dataclass(frozen=True)
class PledgeFacts:
    """The shop's newest signature: which version it covers and when it holds."""

    version_id: int
    version_number: int
    signed_at: datetime
    expires_at: datetime

    def holds_at(self, moment: datetime) -> bool:
        return self.signed_at <= moment < self.expires_at


@dataclass(frozen=True)
class Terms:
    """The current pledge version: shops on an older one must re-sign by `resign_deadline`."""

    version_id: int
    version_number: int
    resign_deadline: datetime | None


@dataclass(frozen=True)
class SanctionFacts:
    """One sanction on record (moderation's Sanction row, as plain values)."""

    id: int
    kind: str
    status: str
    issued_at: datetime
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @property
    def counts_against(self) -> bool:
        return self.kind in STANDING_OF_KIND

    def in_force_at(self, moment: datetime) -> bool:
        """Whether it binds the shop at `moment` (the daily expiry job may not have ended it yet)."""
        if self.status != SANCTION_IN_FORCE or not self.counts_against:
            return False
        if self.starts_at is not None and moment < self.starts_at:
            return False
        return self.ends_at is None or moment < self.ends_at


@dataclass(frozen=True)
class Lapse:
    """Why a shop's pledge no longer holds."""

    reason: str  # LAPSE_EXPIRED or LAPSE_NOT_RESIGNED
    since: datetime | None  # when the signature ran out, or the re-sign deadline that passed
    version_number: int | None = None  # the version not re-signed


@dataclass(frozen=True)
class Assessment:
    """The standing that holds, what explains it, and whether stopping sanctions relaxed the stored one."""

    standing: str
    reason: str  # BY_SANCTION, BY_LAPSE, BY_PLEDGE or BY_RECORD
    sanction: SanctionFacts | None = None  # the newest sanction in force behind the standing
    lapse: Lapse | None = None  # why the pledge no longer holds (also for a shop stored as lapsed)
    relaxed: bool = False  # a sanction behind the stored standing stopped (ran out, lifted)


def lapse_of(pledge: PledgeFacts | None, terms: Terms | None, now: datetime) -> Lapse | None:
    """Whether a shop whose newest signature is `pledge` has lapsed at `now`, and why."""
    if pledge is None:
        return Lapse(LAPSE_EXPIRED, None)
    if not pledge.holds_at(now):
        return Lapse(LAPSE_EXPIRED, pledge.expires_at)
    if (terms is not None and terms.resign_deadline is not None and now > terms.resign_deadline
            and pledge.version_id != terms.version_id and pledge.version_number < terms.version_number):
        return Lapse(LAPSE_NOT_RESIGNED, terms.resign_deadline, terms.version_number)
    return None


def resign_due(stored: str, pledge: PledgeFacts | None, terms: Terms | None, now: datetime) -> datetime | None:
    """The deadline by which an active or warned shop must sign the current version, while it is ahead."""
    if stored not in (ACTIVE, WARNED) or pledge is None or not pledge.holds_at(now):
        return None
    if terms is None or terms.resign_deadline is None or pledge.version_id == terms.version_id:
        return None
    if pledge.version_number >= terms.version_number or now > terms.resign_deadline:
        return None
    return terms.resign_deadline


def _strongest(sanctions: Iterable[SanctionFacts], now: datetime) -> str:
    """The standing the sanctions in force give: the strongest one, else active."""
    kinds = {s.kind for s in sanctions if s.in_force_at(now)}
    return next((standing for kind, standing in STANDING_OF_KIND.items() if kind in kinds), ACTIVE)


def _explaining(sanctions: Iterable[SanctionFacts], standing: str, now: datetime) -> SanctionFacts | None:
    kind = KIND_OF_STANDING.get(standing)
    matching = [s for s in sanctions if s.kind == kind and s.in_force_at(now)]
    return max(matching, key=lambda s: (s.starts_at or s.issued_at, s.id)) if matching else None


def assess(stored: str, pledge: PledgeFacts | None, terms: Terms | None, sanctions: Iterable[SanctionFacts],
           now: datetime, lifted: Collection[int] = ()) -> Assessment:
    """The standing that holds at `now`.

    `sanctions`: the shop's sanctions on record (any status; only those in force count). `lifted`:
    ids of sanctions that stop now although their rows may already say ended (an appeal granted, the
    expiry job), as do sanctions in force whose end has passed.

    Only a stopping sanction of the kind behind the stored standing relaxes it (a suspension that ends
    frees a suspended shop, a warning that ends does not), to the strongest sanction still in force or
    else active; a standing no sanction explains is kept. Then the pledge rule: an active or warned
    shop whose signature ran out, or that did not re-sign a new version in time, has lapsed.
    """
    on_record = [s for s in sanctions if s.counts_against and (s.status == SANCTION_IN_FORCE or s.id in lifted)]
    stopping = {s.id for s in on_record if s.id in lifted or (s.ends_at is not None and s.ends_at <= now)}
    remaining = [s for s in on_record if s.id not in stopping]
    kind = KIND_OF_STANDING.get(stored)
    relaxed = kind is not None and any(s.id in stopping and s.kind == kind for s in on_record)
    standing = _strongest(remaining, now) if relaxed else stored
    lapse = lapse_of(pledge, terms, now) if standing in _PLEDGE_JUDGED else None
    if lapse is not None or standing == LAPSED:
        return Assessment(LAPSED, BY_LAPSE if lapse else BY_RECORD, None, lapse, relaxed)
    sanction = _explaining(remaining, standing, now)
    if sanction is not None:
        return Assessment(standing, BY_SANCTION, sanction, None, relaxed)
    return Assessment(standing, BY_PLEDGE if standing == ACTIVE else BY_RECORD, None, None, relaxed)
