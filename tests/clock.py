"""The one frozen clock of the test suite: `registry.clock.utcnow()` asks it while a test holds it.

Use the `clock` fixture (tests/conftest.py): `clock.set(aware datetime)`, `clock.advance(days=…)`.
Every module reads the time through `registry.clock`, so nothing is patched module by module.
"""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """A settable `utcnow`: every call returns `now` until the test moves it, or, with `tick`, moves
    on by that much at every reading (each step of a test is then that much later than the last)."""

    def __init__(self, now: datetime):
        if now.tzinfo is None:
            raise ValueError("the clock holds aware datetimes only")
        self.now = now
        self.tick: timedelta | None = None

    def __call__(self) -> datetime:
        if self.tick is not None:
            self.now += self.tick
        return self.now

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("the clock holds aware datetimes only")
        self.now = now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now
