"""In-memory fakes of the ports every job family shares (``sellerjobs.jobs``).

The rate limiter's fake is ``tests.unit.market_fakes.InMemoryRateLimiter``;
tests/integration/test_job_ports_contract.py runs both against their DynamoDB adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sellerjobs.jobs.pause import Pause, QueueName


@dataclass
class DictPauses:
    """A PauseStore in memory; ``reads`` counts how often workers looked."""

    pauses: dict[QueueName, Pause] = field(default_factory=dict)
    reads: int = 0

    def get(self, queue: QueueName) -> Pause | None:
        self.reads += 1
        return self.pauses.get(queue)

    def put(self, pause: Pause) -> None:
        self.pauses[pause.queue] = pause

    def delete(self, queue: QueueName) -> None:
        self.pauses.pop(queue, None)
