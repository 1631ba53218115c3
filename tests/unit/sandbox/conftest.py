from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from local.sandbox import MarketplaceSandbox
from sellerjobs.clock import ManualClock

from .helpers import BASE_URL, CLIENT_ID, CLIENT_SECRET, bearer, user_token


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> MarketplaceSandbox:
    sb = MarketplaceSandbox(clock=clock)
    sb.add_app(CLIENT_ID, CLIENT_SECRET)
    sb.add_seller("alice", "rt-alice")
    sb.add_seller("bob", "rt-bob")
    return sb


@pytest.fixture
def client(sandbox: MarketplaceSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(sandbox.handle), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def alice(client: httpx.Client) -> dict[str, str]:
    """Authorization headers for seller alice (sell.marketing scope)."""
    return bearer(user_token(client, "rt-alice"))


@pytest.fixture
def bob(client: httpx.Client) -> dict[str, str]:
    return bearer(user_token(client, "rt-bob"))


@pytest.fixture
def campaign_id(sandbox: MarketplaceSandbox) -> str:
    return sandbox.add_campaign("alice", "Spring promo")
