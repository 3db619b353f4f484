"""The one gate every request of a run passes: the shared rate limit and the whole-run time budget.

Schemathesis and the properties send through the same pyrate-limiter `Limiter` object, so
`--rate-limit 10/s` bounds their sum. Schemathesis calls `Limiter.try_acquire` in its requests
transport (`schemathesis.core.rate_limit.ratelimit`); the properties' httpx client calls `admit()`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from pyrate_limiter import Duration, Limiter, Rate

UNITS = {"s": Duration.SECOND, "m": Duration.MINUTE}
SLACK_MS = 250
"""The limiter's window is this much longer than the user's: a permit is taken a little before its
request arrives (up to ~0.1 s on a busy machine), and the server counts arrivals, not permits."""
PROBES = 2
"""Requests Schemathesis sends outside its transport at the start of each API (its capability probes)."""


class TimeBudgetExceeded(Exception):
    """The run's `--max-time` is spent: no further request is sent."""


def parse_rate(text: str) -> tuple[int, str]:
    """`"10/s"` -> (10, "s"); raises ValueError with a message a user can act on."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*([sm])\s*", text)
    if not match or int(match.group(1)) < PROBES:
        raise ValueError(
            f"expected N/s or N/m with N >= {PROBES} (Schemathesis sends {PROBES} probe requests back to back), "
            f"got {text!r}"
        )
    return int(match.group(1)), match.group(2)


@dataclass
class Gate:
    rate: str | None = None
    max_time: float | None = None
    started: float = field(default_factory=time.monotonic)
    limiter: Limiter | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.rate is not None:
            count, unit = parse_rate(self.rate)
            self.limiter = Limiter(Rate(count, int(UNITS[unit]) + SLACK_MS))

    @property
    def deadline(self) -> float | None:
        return None if self.max_time is None else self.started + self.max_time

    @property
    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def admit(self, weight: int = 1) -> None:
        """Wait for a permit (never past the deadline); raise TimeBudgetExceeded once time is up."""
        if self.expired:
            raise TimeBudgetExceeded(f"time budget of {self.max_time:g} s exceeded")
        if self.limiter is not None:
            remaining = self.remaining()
            for _ in range(weight):
                got = self.limiter.try_acquire("server", timeout=-1 if remaining is None else remaining)
                if not got or self.expired:
                    raise TimeBudgetExceeded(f"time budget of {self.max_time:g} s exceeded")
