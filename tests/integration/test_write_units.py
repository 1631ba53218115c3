"""What the adapters' writes cost in DynamoDB write units, as the benchmarks' meter counts them
(local/aws_meter.py, on the template's indexes): the cuts that keep a promoted listing cheap."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.aws_meter import AwsMeter, indexes_of
from local.template import Template
from sellerjobs.aws.events import DynamoEventStore
from sellerjobs.events.model import JobEvent
from tests.integration.contracts import Tables

NOW = 1_767_225_600_000


@pytest.fixture
def metered(tables: Tables) -> Iterator[tuple[Tables, AwsMeter]]:
    logical = ("EventsTable", "PromotionJobsTable")
    names = {name: tables(name) for name in logical}
    declared = Template.read().of_type("AWS::DynamoDB::Table")
    meter = AwsMeter(indexes=indexes_of({name: declared[name] for name in logical}, names)).attach()
    yield tables, meter
    meter.detach()


def test_publishing_an_event_rewrites_no_copy_in_the_recent_index(metered):
    tables, meter = metered
    store = DynamoEventStore(tables("EventsTable"))
    event = JobEvent.create("promotion.succeeded", ["job", 1], NOW, {"jobId": "job-1"}, ("alice",))
    store.put(event)
    meter.reset()

    store.mark_published(event.id, NOW + 5)

    # Out of the unpublished index (one unit); the recent one holds only keys, which stay.
    assert meter.index_write_units_by_index == {f"{tables('EventsTable')}/Unpublished": 1}
    assert [s.published_at for s in store.recent(NOW + 10, 5)] == [NOW + 5]
