"""EventBridgeBus: what it puts on the bus, and which events it reports refused (botocore's Stubber
answers in place of EventBridge)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.stub import ANY, Stubber

from sellerjobs.aws import clients
from sellerjobs.aws.events import EventBridgeBus
from sellerjobs.events.model import JobEvent


@pytest.fixture
def stubbed() -> Iterator[Stubber]:
    clients.reset()
    with Stubber(clients.events()) as stubber:
        yield stubber
    clients.reset()


def events(n: int) -> list[JobEvent]:
    return [JobEvent.create("promotion.succeeded", ("promotion", f"job-{i}", 1), 1_767_225_600_000 + i,
                            {"id": f"job-{i}"}, ["alice"]) for i in range(n)]


def test_events_go_to_the_bus_ten_per_call_with_source_type_and_sellers(stubbed):
    batch = events(12)
    for chunk in (batch[:10], batch[10:]):
        stubbed.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "x"} for _ in chunk]},
                             {"Entries": [{"Source": "sellerjobs", "DetailType": "promotion.succeeded",
                                           "EventBusName": "jobs-bus", "Time": ANY, "Detail": ANY} for _ in chunk]})
    assert EventBridgeBus("jobs-bus").publish(batch) == set()
    stubbed.assert_no_pending_responses()


def test_refused_entries_and_failed_calls_are_reported_for_another_try(stubbed):
    batch = events(3)
    stubbed.add_response("put_events", {"FailedEntryCount": 1, "Entries": [
        {"EventId": "a"}, {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}, {"EventId": "c"}]})
    assert EventBridgeBus("jobs-bus").publish(batch) == {batch[1].id}
    stubbed.add_client_error("put_events", "ThrottlingException")
    assert EventBridgeBus("jobs-bus").publish(batch) == {e.id for e in batch}


def test_the_detail_is_the_webhook_payload_plus_the_sellers(stubbed):
    (event,) = events(1)
    seen: list[str] = []
    stubbed.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "a"}]})
    clients.events().meta.events.register("provide-client-params.events.PutEvents",
                                          lambda params, **_: seen.append(params["Entries"][0]["Detail"]))
    EventBridgeBus("jobs-bus").publish([event])
    assert json.loads(seen[0]) == event.payload | {"sellers": ["alice"]}
