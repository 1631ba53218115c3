"""SQS batches taken whole.

Most queue consumers handle one record at a time through Powertools' batch processor. A few need
every message of a batch at once (the promotion worker makes one eBay call per seller and
campaign, the webhook deliverer reads the endpoints once), so they parse the batch first, do the
work, and only then let Powertools report, record by record, which messages must come back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

logger = Logger(child=True)

R = TypeVar("R", bound=SqsRecordModel)


def parsed_records(event: dict[str, Any], model: type[R], what: str) -> list[R]:
    """The batch's records that parse. One that does not is logged and left out: the processor
    fails it with the same model, so SQS delivers it again and its dead-letter queue keeps it."""
    records: list[R] = []
    for raw in event.get("Records", []):
        try:
            records.append(model.model_validate(raw))
        except ValidationError:
            logger.error(f"Malformed {what} message", extra={"message_id": raw.get("messageId")})
    return records


def report_unsaved(event: dict[str, Any], context: LambdaContext, processor: BatchProcessor,
                   unsaved: Callable[[R], str | None]) -> dict[str, Any]:
    """The partial batch response: each record for which ``unsaved`` gives a reason (its outcome
    was not stored) comes back; so does each record that does not parse."""

    def record_handler(record: R) -> None:
        reason = unsaved(record)
        if reason is not None:
            raise RuntimeError(reason)

    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                         context=context))
