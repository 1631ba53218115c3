"""The seller-poll port: the in-memory fake and the DynamoDB adapter (on moto) answer alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sellerjobs.aws.promotion_jobs import DynamoSellerPolls
from tests.unit.promotion_fakes import InMemorySellerPolls

NOW = 1_767_225_600_000


@pytest.fixture(params=["in-memory", "dynamodb"])
def polls(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "in-memory":
        yield InMemorySellerPolls()
    else:
        system = request.getfixturevalue("system")
        yield DynamoSellerPolls(table=system.stack.table_name("PromotionJobsTable"))


def test_a_free_poll_is_taken_and_kept_by_its_owner(polls):
    assert polls.hold("alice", "a", NOW, NOW + 60_000)
    assert polls.hold("alice", "a", NOW + 1_000, NOW + 61_000)


def test_a_held_poll_refuses_another_owner_until_it_expires(polls):
    assert polls.hold("alice", "a", NOW, NOW + 60_000)
    assert not polls.hold("alice", "b", NOW + 59_000, NOW + 119_000)
    assert polls.hold("bob", "b", NOW + 59_000, NOW + 119_000)  # sellers are independent
    assert polls.hold("alice", "b", NOW + 60_001, NOW + 120_000)


def test_only_the_owner_releases(polls):
    assert polls.hold("alice", "a", NOW, NOW + 60_000)
    polls.release("alice", "b")
    assert not polls.hold("alice", "b", NOW, NOW + 60_000)
    polls.release("alice", "a")
    assert polls.hold("alice", "b", NOW, NOW + 60_000)
