"""What the webhook and event API answers, as pydantic models: the routes return them, Powertools
checks each answer against its model, and the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sellerjobs.events.model import EventType
from sellerjobs.webhooks.model import DeliveryState, WebhookStatus


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookView(_View):
    id: str = Field(description="wh_ and 24 hex digits")
    url: str
    events: list[EventType]
    description: str | None
    status: WebhookStatus
    createdAt: int
    updatedAt: int
    failingSince: int | None = Field(description="epoch ms of the first failed attempt since the last success")
    disabledAt: int | None
    previousSecretExpiresAt: int | None = Field(description="until then the previous secret signs deliveries too")


class WebhookWithSecret(WebhookView):
    secret: str = Field(description="whsec_…: shown only in the answers to creating the endpoint and rotating "
                                    "its secret")


class WebhookList(_View):
    webhooks: list[WebhookView]


class DeliveryView(_View):
    eventId: str
    type: str = Field(description="the event type, webhook.test, or for a note what happened (webhook.disabled)")
    state: DeliveryState
    attempts: int
    lastStatus: int | None = Field(description="the endpoint's last HTTP status; null without an answer")
    lastError: str | None
    nextAttemptAt: int | None = Field(description="epoch ms; null unless pending")
    createdAt: int
    updatedAt: int
    deliveredAt: int | None


class DeliveryList(_View):
    webhookId: str
    deliveries: list[DeliveryView]


class TestSent(_View):
    eventId: str
    type: Literal["webhook.test"]
    delivery: DeliveryView


class EventView(_View):
    id: str
    type: EventType
    timestamp: str = Field(description="ISO 8601 in UTC: when the state change was stored")
    sellers: list[str] = Field(description="whose webhooks receive it")
    publishedAt: int | None = Field(description="epoch ms when the bus accepted it; null until then")
    data: dict[str, Any]


class EventList(_View):
    events: list[EventView]
