"""What every simulation needs: a virtual stack, a request meter, sellers and listings."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from local.aws_meter import AwsMeter, indexes_of
from local.capacity import CostModel, VirtualClock
from local.sandbox import MarketplaceSandbox
from local.sandbox.latency import ProviderLatency
from local.virtual import VirtualStack, virtual_stack

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a Thursday: any fixed instant will do


@dataclass
class Bench:
    virtual: VirtualStack
    meter: AwsMeter

    def invocations(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for log in self.virtual.sim.invocations:
            counts[log.function] = counts.get(log.function, 0) + 1
        return counts

    @property
    def sandbox(self) -> MarketplaceSandbox:
        return self.virtual.sandbox

    @property
    def clock(self) -> VirtualClock:
        return self.virtual.clock

    def connect(self, seller: str) -> None:
        """A seller with an eBay account, a running campaign and a stored refresh token."""
        token = f"bench-refresh-token-{seller}-000000"
        self.sandbox.add_seller(seller, token)
        self.sandbox.add_campaign(seller, f"{seller} campaign")
        response = self.virtual.call("PUT", "/ebay/credentials", seller, {"refreshToken": token})
        assert response.status == 200, response.body

    def call(self, method: str, path: str, user: str, body: Any = None) -> Any:
        response = self.virtual.call(method, path, user, body)
        if response.status >= 500:
            raise RuntimeError(f"{method} {path} answered {response.status}: {response.body}")
        return response

    def reconfigure(self, **env: str) -> None:
        self.virtual.reconfigure(**env)
        self.meter.attach()


@contextmanager
def bench_stack(env: dict[str, str] | None = None, start: float = START, *, costs: CostModel | None = None,
                latency: ProviderLatency | None = None) -> Iterator[Bench]:
    """A virtual stack with the capacity of a deployment: every benchmark measures on this.

    ``costs`` and ``latency`` default to the modelled figures of :mod:`local.capacity` and
    :mod:`local.sandbox.latency`.
    """
    clock = VirtualClock(start)
    with virtual_stack(clock, env=env, costs=costs or CostModel(), latency=latency or ProviderLatency()) as virtual:
        virtual.sim.keep_events = False  # thousands of invocations: keep only who ran when
        stack = virtual.stack
        tables = stack.template.of_type("AWS::DynamoDB::Table")
        indexes = indexes_of(tables, {name: stack.table_name(name) for name in tables})
        yield Bench(virtual=virtual, meter=AwsMeter(clock=clock, indexes=indexes).attach())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


