"""What the webhook and event API answers, as models for the OpenAPI document and the tests."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookView(_View):
    id: str
    url: str
    events: list[str]
    description: str | None
    status: Literal["active", "disabled"]
    createdAt: int
    updatedAt: int
    failingSince: int | None = Field(description="epoch ms of the first failed attempt since the last success")
    disabledAt: int | None
    previousSecretExpiresAt: int | None = Field(description="until then the previous secret signs deliveries too")


class WebhookWithSecret(WebhookView):
    secret: str = Field(description="whsec_…: shown only when the endpoint is created and when it is rotated")


class WebhookList(_View):
    webhooks: list[WebhookView]


class DeliveryView(_View):
    eventId: str
    type: str
    state: Literal["pending", "delivered", "failed", "note"]
    attempts: int
    lastStatus: int | None
    lastError: str | None
    nextAttemptAt: int | None
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
    type: str
    timestamp: str
    sellers: list[str]
    publishedAt: int | None = Field(description="epoch ms when the bus accepted it; null until then")
    data: dict[str, Any]


class EventList(_View):
    events: list[EventView]
