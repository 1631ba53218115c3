"""What every job family's queue messages share: a body and a time before which they are not due."""

from __future__ import annotations

from typing import Protocol


class QueueMessage(Protocol):
    @property
    def not_before(self) -> int:
        """Epoch ms: the message is not to be delivered before then."""
        ...

    def to_json(self) -> str: ...
