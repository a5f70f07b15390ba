"""Per-user request budget (429 with Retry-After) and the many-people alert (SECURITY.md 4)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class Budget:
    """A token bucket per user: `per_minute` requests a minute, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = max(1, per_minute)
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
        self._seen: dict[str, deque[tuple[float, str]]] = {}
        # Per user, how often each person is in the window: the distinct count is its
        # length, kept as the window slides, so a request costs what it adds and expires,
        # not a pass over everything the user opened in the window.
        self._counts: dict[str, dict[str, int]] = {}
        self._alerted: dict[str, float] = {}
        self._lock = threading.Lock()

    def saw(self, user: str, people: list[str], now: float | None = None) -> int | None:
        """Record people opened; the distinct count when it first passes the threshold."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(user, deque())
            counts = self._counts.setdefault(user, {})
            for person in people:
                seen.append((moment, person))
                counts[person] = counts.get(person, 0) + 1
            while seen and seen[0][0] < moment - self.window:
                _, gone = seen.popleft()
                left = counts[gone] - 1
                if left:
                    counts[gone] = left
                else:
                    del counts[gone]
            distinct = len(counts)
            if distinct <= self.threshold:
                return None
            if moment - self._alerted.get(user, -math.inf) < self.window:
                return None  # one alert per user per window
            self._alerted[user] = moment
            return distinct
