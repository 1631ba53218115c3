"""Settings: a function's variables, read one concern at a time.

One small model per concern, so a function only needs the variables of the concerns it
uses (the template gives each function just those). ``Settings`` holds the variables a
function was given (in Lambda its process environment, read by the edge, ``sellerjobs.wiring``;
elsewhere whatever the caller passes) and parses a concern the first time it is asked for;
nothing else in the code reads the environment.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class _EnvModel(BaseModel):
    # defer_build: a function builds only the validators of the settings it reads, when it first
    # reads them, not every model's at import.
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", defer_build=True)

    @classmethod
    def read(cls, env: Mapping[str, str]) -> Self:
        # Only the variables a model declares are read; empty strings count as unset so
        # a template can leave an optional parameter blank.
        values = {
            field.alias: env[field.alias]
            for field in cls.model_fields.values()
            if field.alias and env.get(field.alias, "") != ""
        }
        return cls.model_validate(values)


class PromotionSettings(_EnvModel):
    jobs_table: str = Field(alias="PROMOTION_JOBS_TABLE")
    queue_url: str = Field("", alias="PROMOTION_QUEUE_URL")
    retry_policy: Literal["exponential", "sync-window"] = Field("sync-window", alias="PROMOTION_RETRY_POLICY")
    sync_window_s: float = Field(720.0, alias="PROMOTION_SYNC_WINDOW_SECONDS", gt=0)
    # None: the retry policy's own (sync-window 120 s, exponential 60 s).
    first_attempt_delay_s: float | None = Field(None, alias="PROMOTION_FIRST_ATTEMPT_DELAY_SECONDS", ge=0)
    stagger_s: float = Field(5.0, alias="PROMOTION_STAGGER_SECONDS", ge=0)
    history_days: int = Field(30, alias="PROMOTION_HISTORY_DAYS", ge=1)
    sweep_overdue_s: float = Field(120.0, alias="PROMOTION_SWEEP_OVERDUE_SECONDS", gt=0)
    sweep_max_jobs: int = Field(1000, alias="PROMOTION_SWEEP_MAX_JOBS", ge=1)
    due_shards: int = Field(4, alias="PROMOTION_DUE_SHARDS", ge=1, le=64)
    # When a seller's job is due, take along their other jobs due within this many seconds:
    # one bulk eBay call per seller and minute instead of one per listing.
    coalesce_s: float = Field(60.0, alias="PROMOTION_COALESCE_SECONDS", ge=0)
    campaign_auto_create: bool = Field(True, alias="PROMOTION_CAMPAIGN_AUTO_CREATE")
    campaign_name: str = Field("sellerjobs promoted listings", alias="PROMOTION_CAMPAIGN_NAME")
    campaign_bid_percentage: str = Field("5.0", alias="PROMOTION_CAMPAIGN_BID_PERCENTAGE")
    campaign_cache_s: int = Field(3600, alias="PROMOTION_CAMPAIGN_CACHE_SECONDS", ge=0)
    retry_seed: int | None = Field(None, alias="PROMOTION_RETRY_SEED")


class CategorySettings(_EnvModel):
    fetch_table: str = Field(alias="CATEGORY_FETCH_TABLE")
    aspects_table: str = Field(alias="CATEGORY_ASPECTS_TABLE")
    aspects_bucket: str = Field("", alias="CATEGORY_ASPECTS_BUCKET")
    queue_url: str = Field("", alias="CATEGORY_FETCH_QUEUE_URL")
    spacing_s: float = Field(0.2, alias="CATEGORY_FETCH_SPACING_SECONDS", ge=0)
    run_s: float = Field(50.0, alias="CATEGORY_FETCH_RUN_SECONDS", gt=0)
    lease_s: float = Field(120.0, alias="CATEGORY_FETCH_LEASE_SECONDS", gt=0)
    max_attempts: int = Field(3, alias="CATEGORY_FETCH_MAX_ATTEMPTS", ge=1)
    retry_backoff_s: float = Field(30.0, alias="CATEGORY_FETCH_RETRY_BACKOFF_SECONDS", ge=0)
    bulk_share: float = Field(0.5, alias="CATEGORY_FETCH_BULK_SHARE", gt=0, le=1)
    # Runs one user may have going at once (the worker runs five): the others' jobs take turns.
    user_slots: int = Field(3, alias="CATEGORY_FETCH_USER_SLOTS", ge=1)
    max_categories: int = Field(100_000, alias="CATEGORY_FETCH_MAX_CATEGORIES", ge=1)
    # eBay's Taxonomy quota is per day; third parties report 5,000. The whole day's budget may be
    # used at once (burst = limit): a tree is fetched as fast as spacing allows, then we stop.
    taxonomy_calls_per_day: int = Field(5000, alias="EBAY_TAXONOMY_CALLS_PER_DAY", ge=1)
    taxonomy_burst: int | None = Field(None, alias="EBAY_TAXONOMY_BURST", ge=1)
    # Calls taken from the shared budget per DynamoDB write.
    taxonomy_reserve: int = Field(10, alias="EBAY_TAXONOMY_RESERVE", ge=1)


class MarketSettings(_EnvModel):
    table: str = Field(alias="MARKET_TABLE")
    queue_url: str = Field("", alias="MARKET_QUEUE_URL")
    providers_secret_name: str = Field("", alias="MARKET_PROVIDERS_SECRET_NAME")
    # Each provider's hourly call budget (the providers' published or agreed limits).
    stockx_calls_per_hour: int = Field(100, alias="STOCKX_CALLS_PER_HOUR", ge=1)
    alias_calls_per_hour: int = Field(200, alias="ALIAS_CALLS_PER_HOUR", ge=1)
    ebay_calls_per_hour: int = Field(150, alias="EBAY_BROWSE_CALLS_PER_HOUR", ge=1)
    stockx_base_url: str = Field("https://api.stockx.com", alias="STOCKX_BASE_URL")
    stockx_auth_base_url: str = Field("https://accounts.stockx.com", alias="STOCKX_AUTH_BASE_URL")
    alias_base_url: str = Field("https://api.alias.org", alias="ALIAS_BASE_URL")
    ebay_api_base_url: str = Field("https://api.ebay.com", alias="EBAY_API_BASE_URL")
    ebay_auth_base_url: str = Field("https://api.ebay.com", alias="EBAY_AUTH_BASE_URL")
    ebay_marketplace_id: str = Field("EBAY_US", alias="EBAY_MARKETPLACE_ID")
    http_timeout_s: float = Field(10.0, alias="MARKET_HTTP_TIMEOUT_SECONDS", gt=0)
    # Pause between two calls to the same provider within a batch.
    spacing_s: float = Field(0.5, alias="MARKET_CALL_SPACING_SECONDS", ge=0)
    batch_size: int = Field(10, alias="MARKET_BATCH_SIZE", ge=1, le=100)
    stale_after_s: int = Field(3600, alias="MARKET_STALE_AFTER_SECONDS", ge=1)
    stuck_after_s: int = Field(600, alias="MARKET_STUCK_AFTER_SECONDS", ge=60)
    # Calls held back from background and hot jobs for manual refreshes, per provider.
    manual_reserve: int = Field(5, alias="MARKET_MANUAL_RESERVE", ge=0)
    retries: int = Field(3, alias="MARKET_RETRIES", ge=0, le=10)
    retry_backoff_s: float = Field(1.0, alias="MARKET_RETRY_BACKOFF_SECONDS", ge=0)
    rate_buckets_table: str = Field("", alias="RATE_BUCKETS_TABLE")
    # What one seller's requests may cost of a provider's hour (manual refreshes, first reads).
    seller_share: float = Field(0.2, alias="MARKET_SELLER_SHARE", gt=0, le=1)

    def calls_per_hour(self) -> dict[str, int]:
        return {"stockx": self.stockx_calls_per_hour, "alias": self.alias_calls_per_hour,
                "ebay": self.ebay_calls_per_hour}


class EbaySettings(_EnvModel):
    accounts_table: str = Field(alias="EBAY_ACCOUNTS_TABLE")
    app_secret_name: str = Field("", alias="EBAY_APP_SECRET_NAME")
    token_key_id: str = Field(alias="EBAY_TOKEN_KEY_ID")
    api_base_url: str = Field("https://api.ebay.com", alias="EBAY_API_BASE_URL")
    auth_base_url: str = Field("https://api.ebay.com", alias="EBAY_AUTH_BASE_URL")
    marketplace_id: str = Field("EBAY_US", alias="EBAY_MARKETPLACE_ID")
    http_timeout_s: float = Field(10.0, alias="EBAY_HTTP_TIMEOUT_SECONDS", gt=0)
    rate_buckets_table: str = Field("", alias="RATE_BUCKETS_TABLE")
    marketing_calls_per_hour: int = Field(5000, alias="EBAY_MARKETING_CALLS_PER_HOUR", ge=1)
    marketing_burst: int = Field(100, alias="EBAY_MARKETING_BURST", ge=1)
    # Marketing calls ordinary promotions leave to high-priority ones when the budget runs short.
    marketing_priority_reserve: int = Field(10, alias="EBAY_MARKETING_PRIORITY_RESERVE", ge=0)
    oauth_calls_per_hour: int = Field(1000, alias="EBAY_OAUTH_CALLS_PER_HOUR", ge=1)
    oauth_burst: int = Field(50, alias="EBAY_OAUTH_BURST", ge=1)
    # Refresh a cached access token this long before eBay says it expires, so a token never
    # dies in the middle of a batch.
    token_refresh_margin_s: int = Field(300, alias="EBAY_TOKEN_REFRESH_MARGIN_SECONDS", ge=0)


class AccountsSettings(_EnvModel):
    """Where sellers' eBay accounts are, for functions that only check one is connected."""

    accounts_table: str = Field("", alias="EBAY_ACCOUNTS_TABLE")


class PauseSettings(_EnvModel):
    """How the workers read their queue's pause switch."""

    # A switch flipped takes up to this long to reach every warm container.
    cache_s: float = Field(30.0, alias="QUEUE_PAUSE_CACHE_SECONDS", ge=0)
    # While paused, a due promotion is held this long before it is looked at again.
    recheck_s: float = Field(60.0, alias="QUEUE_PAUSE_RECHECK_SECONDS", gt=0)


class OperationsSettings(_EnvModel):
    """Every family's table, as the operators' console reads them."""

    promotion_table: str = Field(alias="PROMOTION_JOBS_TABLE")
    category_table: str = Field(alias="CATEGORY_FETCH_TABLE")
    market_table: str = Field(alias="MARKET_TABLE")


class QueueUrlSettings(_EnvModel):
    """Every work queue and its dead-letter queue, as the queue counts read them."""

    promotion_queue_url: str = Field(alias="PROMOTION_QUEUE_URL")
    promotion_dead_letter_url: str = Field(alias="PROMOTION_DEAD_LETTER_QUEUE_URL")
    category_queue_url: str = Field(alias="CATEGORY_FETCH_QUEUE_URL")
    category_dead_letter_url: str = Field(alias="CATEGORY_FETCH_DEAD_LETTER_QUEUE_URL")
    market_queue_url: str = Field(alias="MARKET_QUEUE_URL")
    market_dead_letter_url: str = Field(alias="MARKET_DEAD_LETTER_QUEUE_URL")


class BulkSettings(_EnvModel):
    queue_url: str = Field("", alias="BULK_ACTION_QUEUE_URL")
    page_size: int = Field(100, alias="BULK_ACTION_PAGE_SIZE", ge=1, le=100)
    # A run's share of the worker's timeout, and how long its hold lasts if it dies.
    run_s: float = Field(60.0, alias="BULK_ACTION_RUN_SECONDS", gt=0)
    lease_s: float = Field(150.0, alias="BULK_ACTION_LEASE_SECONDS", gt=0)


class EventSettings(_EnvModel):
    """Job events and webhooks. Writers only need the outbox table and the relay queue."""

    table: str = Field("", alias="EVENTS_TABLE")
    relay_queue_url: str = Field("", alias="EVENTS_QUEUE_URL")
    bus_name: str = Field("", alias="EVENT_BUS_NAME")
    webhook_queue_url: str = Field("", alias="WEBHOOK_QUEUE_URL")
    webhook_dead_letter_queue_url: str = Field("", alias="WEBHOOK_DEAD_LETTER_QUEUE_URL")
    webhook_key_id: str = Field("", alias="WEBHOOK_KEY_ID")
    # Only the local stack sets this: its sandbox receiver listens on http://127.0.0.1.
    allow_loopback: bool = Field(False, alias="WEBHOOK_ALLOW_LOOPBACK")
    timeout_s: float = Field(10.0, alias="WEBHOOK_TIMEOUT_SECONDS", gt=0, le=60)
    max_per_seller: int = Field(10, alias="WEBHOOK_MAX_PER_SELLER", ge=1, le=100)
    disable_after_s: float = Field(3 * 86400.0, alias="WEBHOOK_DISABLE_AFTER_SECONDS", gt=0)
    rotation_overlap_s: float = Field(86400.0, alias="WEBHOOK_ROTATION_OVERLAP_SECONDS", ge=0)
    retry_seed: int | None = Field(None, alias="WEBHOOK_RETRY_SEED")


class IdempotencySettings(_EnvModel):
    """Where POST and PUT requests with an Idempotency-Key keep their answers."""

    table: str = Field(alias="IDEMPOTENCY_TABLE")


M = TypeVar("M", bound=_EnvModel)


class _Concern(Generic[M]):
    """A concern's settings, parsed from the variables the first time they are read."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def __get__(self, settings: Settings, owner: type[Settings]) -> M:
        return settings.of(self.model)


class Settings:
    """A function's variables, and each concern's settings parsed from them on first use
    (``settings.promotions.jobs_table``): a function is only refused for a variable it uses."""

    promotions = _Concern(PromotionSettings)
    ebay = _Concern(EbaySettings)
    categories = _Concern(CategorySettings)
    market = _Concern(MarketSettings)
    accounts = _Concern(AccountsSettings)
    pause = _Concern(PauseSettings)
    operations = _Concern(OperationsSettings)
    queue_urls = _Concern(QueueUrlSettings)
    bulk = _Concern(BulkSettings)
    events = _Concern(EventSettings)
    idempotency = _Concern(IdempotencySettings)

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables: Mapping[str, str] = dict(variables)
        self._read: dict[type[_EnvModel], _EnvModel] = {}
        self._lock = threading.Lock()

    def of(self, model: type[M]) -> M:
        with self._lock:
            if model not in self._read:
                self._read[model] = model.read(self.variables)
            return self._read[model]  # type: ignore[return-value]
