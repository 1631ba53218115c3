"""When a failed delivery is tried again: the Standard Webhooks reference schedule.

After the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, eight attempts in all
over 27 h 35 min, so an endpoint that is down for a day still gets every event. SQS delays stop
at 15 minutes: longer waits are re-delayed by the delivery worker (the message comes back early
and goes round again). Jitter only ever delays an attempt (by up to a tenth), spreading the
retries of an outage's backlog.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

DELAYS_S: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)


@dataclass
class RetrySchedule:
    delays_s: tuple[float, ...] = DELAYS_S
    jitter: float = 0.1
    rng: random.Random = field(default_factory=random.Random)

    @property
    def max_attempts(self) -> int:
        return len(self.delays_s) + 1

    @property
    def window_s(self) -> float:
        """From the first attempt to the last, without jitter."""
        return float(sum(self.delays_s))

    def delay_after(self, attempts_made: int) -> float | None:
        """Seconds until the next attempt after ``attempts_made`` failed ones; None: give up."""
        if attempts_made < 1 or attempts_made > len(self.delays_s):
            return None
        base = self.delays_s[attempts_made - 1]
        return base * (1 + self.jitter * self.rng.random())
