"""What every job family's queue messages share: a body and a time before which they are not due.

Message bodies are pydantic models: one declaration gives the JSON a message is sent as
(``to_json``) and the checks it is read back with (the workers parse each SQS record's body with
the same model through Powertools' batch processor; a body that does not parse fails its record,
which SQS delivers again and finally moves to the dead-letter queue).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict


class QueueMessage(Protocol):
    @property
    def not_before(self) -> int:
        """Epoch ms: the message is not to be delivered before then."""
        ...

    def to_json(self) -> str: ...


class MessageBody(BaseModel):
    """Base of the queue message models: immutable, camelCase on the wire, snake_case in code."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, defer_build=True)

    def to_json(self) -> str:
        # A field at its default is left out: reading the body back fills it in again.
        return self.model_dump_json(by_alias=True, exclude_defaults=True)
