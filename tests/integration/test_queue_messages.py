"""Queue message bodies are read by their models: a malformed one fails its own record, goes back to
the queue and ends in the dead-letter queue; the rest of its batch is processed."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from local.events import sqs_event, sqs_record
from sellerjobs.promotions.ports import JobMessage


@pytest.fixture(autouse=True)
def sellers(system):
    """alice and bob have their eBay accounts connected: queueing a promotion needs one."""
    for user in ("alice", "bob"):
        system.connect(user)


MALFORMED = ["not json", "[]", "{}", '{"jobId": "", "keys": "x", "version": true, "notBefore": "soon"}']
# A well-formed message of each queue, about nothing that exists: it is read and passed over.
WELL_FORMED = {
    "PromotionQueue": ("PromotionWorkerFunction", '{"userId": "alice", "jobId": "1_1", "version": 0, "notBefore": 0}'),
    "CategoryFetchQueue": ("CategoryFetchWorkerFunction", '{"jobId": "job-0-none", "notBefore": 0}'),
    "MarketQueue": ("MarketWorkerFunction", '{"provider": "stockx", "keys": [], "reservedAt": 0, "startedAt": 0}'),
    "BulkActionQueue": ("BulkActionWorkerFunction", '{"bulkActionId": "bulk-none"}'),
    "EventsQueue": ("EventRelayFunction", '{"eventIds": ["evt_none"]}'),
    "WebhookQueue": ("WebhookDeliveryFunction", '{"userId": "alice", "webhookId": "wh_none", "eventId": "evt_none", '
                                                '"occurredAt": 0, "attempt": 0, "notBefore": 0}'),
}


@pytest.mark.parametrize("queue", sorted(WELL_FORMED))
def test_each_malformed_record_of_a_batch_is_reported_failed(system, queue):
    function, good = WELL_FORMED[queue]
    arn = system.stack.names[queue]["Arn"]
    records = [sqs_record(body, queue_arn=arn, message_id=f"m{i}") for i, body in enumerate(MALFORMED)]

    result = system.invoke(function, sqs_event([*records, sqs_record(good, queue_arn=arn)]))

    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == [f"m{i}" for i in range(len(MALFORMED))]


def test_a_malformed_promotion_message_does_not_hold_up_its_batch(system):
    job_id = system.call("POST", "/promotions", body={"listingId": "177681098666", "adRate": 5}).json()["jobId"]
    arn = system.stack.names["PromotionQueue"]["Arn"]
    good = system.job("alice", job_id)
    body = JobMessage(user_id="alice", job_id=job_id, version=0, not_before=good["nextRetryAt"]).to_json()
    system.clock.advance(120)

    result = system.invoke("PromotionWorkerFunction",
                           sqs_event([sqs_record("not json", queue_arn=arn, message_id="bad"),
                                      sqs_record(body, queue_arn=arn, message_id="good")]))

    assert result["batchItemFailures"] == [{"itemIdentifier": "bad"}]
    assert system.job("alice", job_id)["attempts"] == 1  # the good message ran its attempt


@pytest.mark.parametrize("queue", sorted(WELL_FORMED))
def test_a_malformed_message_alone_fails_the_invocation_and_is_kept_for_the_dead_letter_queue(system, queue):
    function, _ = WELL_FORMED[queue]
    record = sqs_record("not json", queue_arn=system.stack.names[queue]["Arn"])

    # Nothing in the batch could be read: the invocation fails and SQS delivers the message again,
    with pytest.raises(BatchProcessingError):
        system.invoke(function, sqs_event([record]))
    # until its receive count reaches the redrive policy's and it moves to the dead-letter queue.
    dead_letter_queue, receives = system.stack.dead_letter_queue(queue)
    assert dead_letter_queue and receives == 5
