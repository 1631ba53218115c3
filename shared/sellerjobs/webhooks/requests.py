"""The webhook API's request bodies."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from sellerjobs.events.model import EventType
from sellerjobs.webhooks.addresses import MAX_URL_LENGTH
from sellerjobs.webhooks.model import WebhookStatus

Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, json_schema_extra={"examples": [
        {"url": "https://hooks.example.com/sellerjobs", "events": ["promotion.succeeded", "promotion.failed"],
         "description": "order system"}]})

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH,
                     description="https:// URL of a public endpoint (checked again, after DNS, at every delivery)")
    events: list[EventType] = Field(min_length=1, max_length=len(EventType), description="the event types to receive")
    description: Description | None = None


class WebhookUpdate(BaseModel):
    """What a seller may change; ``{"status": "active"}`` enables a disabled endpoint again."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, json_schema_extra={"examples": [
        {"status": "active"}, {"events": ["category_fetch.completed"], "description": "catalogue team"}]})

    status: WebhookStatus | None = Field(None, description="active (again), or disabled: no deliveries")
    events: list[EventType] | None = Field(None, min_length=1, max_length=len(EventType))
    description: Description | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.status is None and self.events is None and self.description is None:
            raise ValueError("must give at least one of status, events and description")
        return self
