"""Per-user request budget (429 with Retry-After) and the many-people alert.

Both are docs/security.md rule 4.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict


class Budget:
    """A token bucket per user: `per_minute` requests a minute, refilled continuously.

    Kept in this process's memory, as a rate limit needs no record: with N processes
    behind a load balancer a user may make up to N times the budget, unless each is told
    it is one of `processes` and takes its share (rounded down, at least 1 a minute).
    """

    def __init__(self, per_minute: int, processes: int = 1) -> None:
        self.per_minute = max(1, per_minute // max(1, processes))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, user: str, now: float | None = None) -> float:
        """0 if the request may go ahead, else the seconds to wait before retrying."""
        moment = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, since = self._buckets.get(user, (float(self.per_minute), moment))
            tokens = min(float(self.per_minute), tokens + (moment - since) * rate)
            if tokens >= 1.0:
                self._buckets[user] = (tokens - 1.0, moment)
                return 0.0
            self._buckets[user] = (tokens, moment)
            return max(1.0, math.ceil((1.0 - tokens) / rate))


class PeopleWatch:
    """Counts distinct people each user opened in a sliding window; never blocks anyone."""

    def __init__(self, threshold: int, window_minutes: float) -> None:
        self.threshold, self.window = threshold, window_minutes * 60.0
        # Per user, each person opened in the window with when they were last opened,
        # oldest first: a person counts while their latest opening is in the window. One
        # entry per distinct person, not per opening: a user opening one child all day
        # holds one entry, where a log of openings grew by every request for ten minutes
        # (a million tuples at front-door rates, each a burden on the garbage collector).
        self._last: dict[str, OrderedDict[str, float]] = {}
        self._alerted: dict[str, float] = {}
        self._lock = threading.Lock()

    def saw(self, user: str, people: list[str], now: float | None = None) -> int | None:
        """Record people opened; the distinct count when it first passes the threshold."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            last = self._last.setdefault(user, OrderedDict())
            for person in people:
                last[person] = max(moment, last.get(person, moment))
                last.move_to_end(person)
            while last:
                person, when = next(iter(last.items()))
                if when >= moment - self.window:
                    break
                del last[person]
            distinct = len(last)
            if distinct <= self.threshold:
                return None
            if moment - self._alerted.get(user, -math.inf) < self.window:
                return None  # one alert per user per window
            self._alerted[user] = moment
            return distinct
