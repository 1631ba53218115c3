"""The events a promotion job announces: one when it finishes (succeeded, failed, cancelled)."""

from __future__ import annotations

from sellerjobs.events.model import EventType, JobEvent
from sellerjobs.promotions.job import PromotionJob, Status

_TYPES = {Status.SUCCEEDED: EventType.PROMOTION_SUCCEEDED, Status.FAILED: EventType.PROMOTION_FAILED,
          Status.CANCELLED: EventType.PROMOTION_CANCELLED}


def events_for(previous: PromotionJob, new: PromotionJob) -> list[JobEvent]:
    """What storing ``new`` in place of ``previous`` announces.

    The id comes from the job and the version ``new`` has: the change that produced that version
    can be stored once only (the version guard), so its event can never be stored twice.
    """
    kind = _TYPES.get(new.status)
    if kind is None or previous.status is new.status:
        return []
    return [JobEvent.create(kind.value, ("promotion", new.id, new.version), new.updated_at, new.to_api(),
                            [new.user_id])]
