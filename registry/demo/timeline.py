"""Playing the demo's past in order: each story (a shop opening and signing, a sanction, a case) is a
generator that yields the moment of its next step; `play` runs every step at its moment, earliest first,
with the application's clock (registry.clock) set to that moment. The services then write what they
would have written on that day: the signed text's date, due dates, timelines, standing changes, and
audit entries whose times grow with their ids, as a live log's do."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from registry.clock import use_time_source

Story = Iterator[datetime]


@contextmanager
def clock_at(moment: datetime):
    """The application's clock reads `moment` (a little later at every reading, so two records made in
    one step keep their order); the previous clock comes back afterwards."""
    ticks = itertools.count()
    moment = moment.astimezone(timezone.utc)  # utcnow() answers in UTC, as the audit chain's hashes expect
    previous = use_time_source(lambda: moment + timedelta(microseconds=next(ticks)))
    try:
        yield
    finally:
        use_time_source(previous)


def play(stories: Iterable[Story]) -> None:
    """Run every story's steps in time order (ties: in the order the stories were given)."""
    queue: list[tuple[datetime, int, Story]] = []
    for order, story in enumerate(stories):
        first = next(story, None)
        if first is not None:
            heapq.heappush(queue, (first, order, story))
    while queue:
        moment, order, story = heapq.heappop(queue)
        with clock_at(moment):
            following = next(story, None)
        if following is not None:
            # A step never goes back before the one just played.
            heapq.heappush(queue, (max(following, moment + timedelta(seconds=1)), order, story))
