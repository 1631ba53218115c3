"""The events a market job announces when it settles: a new price, or a job that failed.

Market jobs are shared by every seller, so an event goes to every seller who queued the item or
read its price while the job was waiting (``MarketJob.asked_by``), and to the bus in any case.
"""

from __future__ import annotations

from typing import Any

from sellerjobs.events.model import EventType, JobEvent
from sellerjobs.market.job import MarketJob, MarketStatus


def events_for(new: MarketJob, price: dict[str, Any] | None = None) -> list[JobEvent]:
    """``new`` is the job as settling stores it; ``price`` the price view a success stored."""
    sellers = sorted(new.asked_by)
    source = ("market", new.id, new.version)
    if new.status is MarketStatus.SUCCEEDED and price is not None:
        return [JobEvent.create(EventType.MARKET_PRICE_UPDATED.value, source, new.updated_at, price, sellers)]
    if new.status is MarketStatus.FAILED:
        return [JobEvent.create(EventType.MARKET_JOB_FAILED.value, source, new.updated_at, new.to_api(), sellers)]
    return []
