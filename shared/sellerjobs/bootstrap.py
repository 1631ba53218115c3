"""The composition root: settings, a clock and optional replacements in, the services out.

``bootstrap(settings, clock, overrides)`` builds nothing at once: each service (and each adapter
it needs) is built when first asked for and kept, so a function only imports and builds what it
uses (httpx only in functions that call eBay). Lambda handlers get their function's services from
the edge (``sellerjobs.wiring.services``), which caches one bootstrap per container; tests and the
local stack call ``bootstrap`` themselves with the settings of the function they play, their clock,
and any adapter they replace (``overrides``, by the name of the method that would build it).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from sellerjobs.clock import Clock
from sellerjobs.config import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

    from sellerjobs.accounts import EbayAccountService
    from sellerjobs.aws.category_fetches import DynamoFetchJobs
    from sellerjobs.aws.delay_queue import SqsDelayQueue
    from sellerjobs.aws.ebay_accounts import DynamoConnections
    from sellerjobs.aws.events import DynamoEventStore, OutboxItems
    from sellerjobs.aws.promotion_jobs import DynamoJobRepository
    from sellerjobs.categories.ports import FetchMessage
    from sellerjobs.categories.service import CategoryFetchService
    from sellerjobs.categories.worker import CategoryFetchWorker
    from sellerjobs.ebay.taxonomy import TaxonomyApi
    from sellerjobs.events.log import EventLog
    from sellerjobs.events.ports import EventAnnouncer
    from sellerjobs.events.relay import EventRelay
    from sellerjobs.jobs.pause import PauseSwitch, QueueName
    from sellerjobs.jobs.rate_budget import RateBudget
    from sellerjobs.jobs.retry import RetryPolicy
    from sellerjobs.market.job import Provider
    from sellerjobs.market.ports import MarketBatch
    from sellerjobs.market.scheduler import MarketScheduler
    from sellerjobs.market.service import MarketService
    from sellerjobs.market.worker import MarketWorker
    from sellerjobs.operations.queues import QueuesService
    from sellerjobs.operations.search import JobSearch
    from sellerjobs.promotions.bulk import BulkActionService, BulkMessage, BulkWorker
    from sellerjobs.promotions.ports import JobMessage
    from sellerjobs.promotions.service import PromotionService
    from sellerjobs.promotions.sweeper import PromotionSweeper
    from sellerjobs.promotions.worker import PromotionWorker
    from sellerjobs.webhooks.addresses import EndpointPolicy
    from sellerjobs.webhooks.delivery import WebhookDeliverer
    from sellerjobs.webhooks.fanout import WebhookFanout
    from sellerjobs.webhooks.model import DeliveryMessage
    from sellerjobs.webhooks.service import WebhookService


P = ParamSpec("P")
T = TypeVar("T")


def _built_once(build: Callable[Concatenate[Services, P], T]) -> Callable[Concatenate[Services, P], T]:
    """Build on first use and keep it (per arguments); an override of that name wins."""
    name = build.__name__

    @wraps(build)
    def once(self: Services, *args: P.args, **kwargs: P.kwargs) -> T:
        if name in self.overrides:
            return self.overrides[name]  # type: ignore[no-any-return]
        key = (name, args, tuple(sorted(kwargs.items())))
        with self._lock:  # concurrent invocations of one function share its services
            if key not in self._built:
                self._built[key] = build(self, *args, **kwargs)
            return self._built[key]  # type: ignore[no-any-return]

    once.builds = True  # type: ignore[attr-defined]
    return cast("Callable[Concatenate[Services, P], T]", once)


def overridable() -> frozenset[str]:
    """The names ``overrides`` may use: every method that builds something."""
    return frozenset(name for name, member in vars(Services).items() if getattr(member, "builds", False))


class Services:
    """One function's services and adapters, built from its settings on first use."""

    def __init__(self, settings: Settings, clock: Clock, overrides: Mapping[str, Any] | None = None) -> None:
        unknown = set(overrides or {}) - overridable()
        if unknown:
            raise ValueError(f"nothing is built under the name(s) {sorted(unknown)}; "
                             f"overrides may replace: {sorted(overridable())}")
        self.settings = settings
        self.clock = clock
        self.overrides: Mapping[str, Any] = dict(overrides or {})
        self._built: dict[Any, Any] = {}
        self._lock = threading.RLock()  # re-entrant: a service builds the adapters it needs

    @_built_once
    def promotion_jobs(self) -> DynamoJobRepository:
        from sellerjobs.aws.promotion_jobs import DynamoJobRepository

        settings = self.settings.promotions
        return DynamoJobRepository(table=settings.jobs_table, due_shards=settings.due_shards, outbox=self.outbox())

    @_built_once
    def promotion_queue(self) -> SqsDelayQueue[JobMessage]:
        from sellerjobs.aws.delay_queue import SqsDelayQueue

        return SqsDelayQueue(queue_url=self.settings.promotions.queue_url, clock=self.clock,
                             group_of=lambda m: m.group)

    @_built_once
    def retry_policy(self, name: str | None = None) -> RetryPolicy:
        from sellerjobs.jobs.retry import policy_named

        settings = self.settings.promotions
        rng = random.Random(settings.retry_seed) if settings.retry_seed is not None else None
        return policy_named(name or settings.retry_policy, sync_window_s=settings.sync_window_s,
                            first_delay_s=settings.first_attempt_delay_s, rng=rng)

    @_built_once
    def promotion_service(self) -> PromotionService:
        from sellerjobs.promotions.service import PromotionService

        settings, accounts, policy = self.settings.promotions, self.settings.accounts, self.retry_policy()
        return PromotionService(jobs=self.promotion_jobs(), queue=self.promotion_queue(), policy=policy,
                                clock=self.clock,
                                stagger_s=settings.stagger_s,
                                history_s=settings.history_days * 86400, coalesce_s=settings.coalesce_s,
                                connections=self.ebay_connections() if accounts.accounts_table else None,
                                events=self.announcer())

    @_built_once
    def promotion_worker(self) -> PromotionWorker:
        from sellerjobs.ebay.marketing import MarketingApi
        from sellerjobs.promotions.campaigns import CampaignResolver
        from sellerjobs.promotions.worker import PromotionWorker

        settings, ebay = self.settings.promotions, self.settings.ebay
        marketing = MarketingApi(http=self.ebay_http("marketing"), tokens=self.ebay_tokens(),
                                 marketplace_id=ebay.marketplace_id, clock=self.clock,
                                 normal_headroom=ebay.marketing_priority_reserve)
        from sellerjobs.aws.ebay_accounts import DynamoCampaignCache

        campaigns = CampaignResolver(
            ads=marketing,
            cache=DynamoCampaignCache(table=ebay.accounts_table, clock=self.clock,
                                      marketplace_id=ebay.marketplace_id, ttl_s=settings.campaign_cache_s),
            auto_create=settings.campaign_auto_create, name=settings.campaign_name,
            bid_percentage=settings.campaign_bid_percentage)
        from sellerjobs.aws.promotion_jobs import DynamoSellerPolls
        from sellerjobs.jobs.pause import QueueName

        return PromotionWorker(jobs=self.promotion_jobs(), queue=self.promotion_queue(), ads=marketing,
                               campaigns=campaigns,
                               policy_for=self.retry_policy, clock=self.clock,
                               history_s=settings.history_days * 86400, coalesce_s=settings.coalesce_s,
                               pause=self.pause_switch(QueueName.PROMOTION, settings.jobs_table),
                               paused_recheck_s=self.settings.pause.recheck_s,
                               polls=DynamoSellerPolls(table=settings.jobs_table), events=self.announcer())

    @_built_once
    def promotion_sweeper(self) -> PromotionSweeper:
        from sellerjobs.promotions.sweeper import PromotionSweeper

        settings = self.settings.promotions
        return PromotionSweeper(jobs=self.promotion_jobs(), queue=self.promotion_queue(), clock=self.clock,
                                overdue_s=settings.sweep_overdue_s, max_jobs=settings.sweep_max_jobs)

    @_built_once
    def ebay_account_service(self) -> EbayAccountService:
        from sellerjobs.accounts import EbayAccountService
        from sellerjobs.aws.ebay_accounts import DynamoCredentialStore, DynamoTokenCache, KmsSealer
        from sellerjobs.ebay.credentials import MARKETING_SCOPE

        ebay = self.settings.ebay
        sealer = KmsSealer(ebay.token_key_id)
        return EbayAccountService(
            credentials=DynamoCredentialStore(table=ebay.accounts_table, sealer=sealer, clock=self.clock),
            tokens=DynamoTokenCache(table=ebay.accounts_table, sealer=sealer), token_scope=MARKETING_SCOPE)

    @_built_once
    def ebay_connections(self) -> DynamoConnections:
        from sellerjobs.aws.ebay_accounts import DynamoConnections

        return DynamoConnections(self.settings.accounts.accounts_table)

    @_built_once
    def fetch_jobs(self) -> DynamoFetchJobs:
        from sellerjobs.aws.aspects import AspectItems
        from sellerjobs.aws.category_fetches import DynamoFetchJobs

        settings = self.settings.categories
        return DynamoFetchJobs(table=settings.fetch_table,
                               aspects=AspectItems(table=settings.aspects_table, bucket=settings.aspects_bucket),
                               outbox=self.outbox())

    @_built_once
    def fetch_queue(self) -> SqsDelayQueue[FetchMessage]:
        from sellerjobs.aws.delay_queue import SqsDelayQueue

        return SqsDelayQueue(queue_url=self.settings.categories.queue_url, clock=self.clock,
                             group_of=lambda m: m.group)

    @_built_once
    def taxonomy(self, reserve: int = 1) -> TaxonomyApi:
        from sellerjobs.ebay.taxonomy import TaxonomyApi

        return TaxonomyApi(http=self.ebay_http("taxonomy", reserve), tokens=self.ebay_tokens())

    @_built_once
    def category_service(self) -> CategoryFetchService:
        from sellerjobs.aws.aspects import DynamoAspectStore
        from sellerjobs.categories.service import CategoryFetchService

        settings = self.settings.categories
        return CategoryFetchService(jobs=self.fetch_jobs(), aspects=DynamoAspectStore(settings.aspects_table,
                                                                                  settings.aspects_bucket),
                                    taxonomy_factory=self.taxonomy, queue=self.fetch_queue(), clock=self.clock,
                                    events=self.announcer())

    @_built_once
    def category_worker(self) -> CategoryFetchWorker:
        from sellerjobs.categories.worker import CategoryFetchWorker, FetchSettings

        settings = self.settings.categories
        # The worker takes budget in blocks and hands back what a run did not use; the API
        # (one call per request) takes single calls.
        taxonomy = self.taxonomy(settings.taxonomy_reserve)
        http = taxonomy.http
        from sellerjobs.jobs.pause import QueueName

        return CategoryFetchWorker(
            jobs=self.fetch_jobs(), taxonomy=taxonomy, queue=self.fetch_queue(), clock=self.clock,
            settings=FetchSettings(spacing_s=settings.spacing_s, run_s=settings.run_s, lease_s=settings.lease_s,
                                   max_attempts=settings.max_attempts, retry_backoff_s=settings.retry_backoff_s,
                                   bulk_share=settings.bulk_share, user_slots=settings.user_slots),
            release_budget=lambda: http.release(self.clock.now()),
            pause=self.pause_switch(QueueName.CATEGORY_FETCH, settings.fetch_table),
            paused_recheck_s=self.settings.pause.recheck_s, events=self.announcer())

    # -- market data ---------------------------------------------------------------------------------

    @_built_once
    def market_jobs(self):  # type: ignore[no-untyped-def]
        from sellerjobs.aws.market import DynamoMarketJobs

        return DynamoMarketJobs(table=self.settings.market.table, outbox=self.outbox())

    @_built_once
    def market_limiter(self):  # type: ignore[no-untyped-def]
        from sellerjobs.aws.rate_buckets import DynamoRateLimiter

        return DynamoRateLimiter(table=self.settings.market.rate_buckets_table, clock=self.clock)

    @_built_once
    def market_budgets(self) -> dict[Provider, RateBudget]:
        from sellerjobs.market.job import Provider
        from sellerjobs.market.scheduler import hourly_budget

        settings = self.settings.market
        per_hour = settings.calls_per_hour()
        return {provider: hourly_budget(provider, per_hour[provider.value], settings.manual_reserve)
                for provider in Provider}

    @_built_once
    def market_service(self) -> MarketService:
        from sellerjobs.aws.market import DynamoPriceCache, DynamoShareSettings
        from sellerjobs.market.service import MarketService
        from sellerjobs.market.share import SellerShares

        settings = self.settings.market
        shares = SellerShares(limiter=self.market_limiter(), budgets=self.market_budgets(),
                              settings=DynamoShareSettings(settings.table), default_share=settings.seller_share,
                              manual_burst=settings.manual_reserve)
        # Manual refreshes go out at once where the function may send to the market queue.
        dispatcher = self.market_scheduler() if settings.queue_url else None
        return MarketService(jobs=self.market_jobs(), prices=DynamoPriceCache(settings.table),
                             limiter=self.market_limiter(),
                             budgets=self.market_budgets(), clock=self.clock, stale_after_s=settings.stale_after_s,
                             shares=shares, dispatcher=dispatcher)

    @_built_once
    def market_scheduler(self) -> MarketScheduler:
        from sellerjobs.aws.delay_queue import SqsDelayQueue
        from sellerjobs.market.scheduler import MarketScheduler, SchedulerSettings

        settings = self.settings.market
        queue: SqsDelayQueue[MarketBatch] = SqsDelayQueue(queue_url=settings.queue_url, clock=self.clock)
        from sellerjobs.jobs.pause import QueueName

        return MarketScheduler(
            jobs=self.market_jobs(), queue=queue, limiter=self.market_limiter(),
            budgets=self.market_budgets(), clock=self.clock,
            settings=SchedulerSettings(batch_size=settings.batch_size, stuck_after_s=settings.stuck_after_s,
                                       manual_reserve=settings.manual_reserve),
            pause=self.pause_switch(QueueName.MARKET, settings.table))

    @_built_once
    def market_worker(self) -> MarketWorker:
        from sellerjobs.aws.app_secrets import market_credentials
        from sellerjobs.aws.ebay_accounts import DynamoTokenCache, KmsSealer
        from sellerjobs.aws.market import DynamoCatalogCache, DynamoPriceCache
        from sellerjobs.ebay.http import new_client
        from sellerjobs.jobs.pause import QueueName
        from sellerjobs.market.job import Provider
        from sellerjobs.market.quotes import QuoteSource
        from sellerjobs.market.worker import MarketWorker, WorkerSettings
        from sellerjobs.providers.alias import AliasClient
        from sellerjobs.providers.ebay_browse import EbayBrowseClient
        from sellerjobs.providers.stockx import StockXClient

        settings, ebay = self.settings.market, self.settings.ebay
        catalog = DynamoCatalogCache(settings.table, self.clock)
        secret = settings.providers_secret_name

        def http(base_url: str):  # type: ignore[no-untyped-def]
            return new_client(base_url, settings.http_timeout_s)

        sources: dict[Provider, QuoteSource] = {
            Provider.STOCKX: StockXClient(
                api=http(settings.stockx_base_url), oauth=http(settings.stockx_auth_base_url),
                credentials=lambda: market_credentials(secret).require_stockx(), catalog=catalog, clock=self.clock,
                tokens=DynamoTokenCache(table=ebay.accounts_table, sealer=KmsSealer(ebay.token_key_id))),
            Provider.ALIAS: AliasClient(http=http(settings.alias_base_url),
                                        credentials=lambda: market_credentials(secret).require_alias(),
                                        catalog=catalog),
            # Browse's application token comes from the same cache and OAuth budget as the other eBay calls.
            Provider.EBAY: EbayBrowseClient(http=http(settings.ebay_api_base_url), tokens=self.ebay_tokens(),
                                            marketplace_id=settings.ebay_marketplace_id),
        }
        return MarketWorker(jobs=self.market_jobs(), prices=DynamoPriceCache(settings.table), sources=sources,
                            limiter=self.market_limiter(), budgets=self.market_budgets(), clock=self.clock,
                            settings=WorkerSettings(spacing_s={p: settings.spacing_s for p in Provider},
                                                    retries=settings.retries,
                                                    retry_backoff_s=settings.retry_backoff_s,
                                                    manual_reserve=settings.manual_reserve,
                                                    stale_after_s=settings.stale_after_s),
                            pause=self.pause_switch(QueueName.MARKET, settings.table), events=self.announcer())

    # -- operating the queues --------------------------------------------------------------------------

    @_built_once
    def pause_switch(self, queue: QueueName, table: str) -> PauseSwitch:
        """The queue's pause switch as its workers read it: at most every QUEUE_PAUSE_CACHE_SECONDS."""
        from sellerjobs.aws.queue_control import DynamoPauseStore
        from sellerjobs.jobs.pause import PauseSwitch

        return PauseSwitch(store=DynamoPauseStore(table), queue=queue, clock=self.clock,
                           ttl_s=self.settings.pause.cache_s)

    @_built_once
    def queues_service(self) -> QueuesService:
        from sellerjobs.aws.category_fetches import DynamoFetchJobs
        from sellerjobs.aws.market import DynamoMarketJobs
        from sellerjobs.aws.promotion_jobs import DynamoJobRepository
        from sellerjobs.aws.queue_control import DynamoPauseStore, SqsQueueStats
        from sellerjobs.jobs.pause import QueueName
        from sellerjobs.operations.queues import QueuesService, QueueUrls

        ops, urls = self.settings.operations, self.settings.queue_urls
        promotions = DynamoJobRepository(table=ops.promotion_table)
        fetches = DynamoFetchJobs(table=ops.category_table)
        market = DynamoMarketJobs(table=ops.market_table)
        return QueuesService(
            promotion_counts=lambda: {status.value: n for status, n in promotions.global_counts().items()},
            category_counts=fetches.counts, market_counts=market.counts,
            stats=SqsQueueStats(clock=self.clock),
            urls={QueueName.PROMOTION: QueueUrls(urls.promotion_queue_url, urls.promotion_dead_letter_url),
                  QueueName.CATEGORY_FETCH: QueueUrls(urls.category_queue_url, urls.category_dead_letter_url),
                  QueueName.MARKET: QueueUrls(urls.market_queue_url, urls.market_dead_letter_url)},
            pauses={QueueName.PROMOTION: DynamoPauseStore(ops.promotion_table),
                    QueueName.CATEGORY_FETCH: DynamoPauseStore(ops.category_table),
                    QueueName.MARKET: DynamoPauseStore(ops.market_table)},
            clock=self.clock)

    @_built_once
    def job_search(self) -> JobSearch:
        from sellerjobs.aws.category_fetches import DynamoFetchJobs
        from sellerjobs.aws.market import DynamoMarketJobs
        from sellerjobs.aws.promotion_jobs import DynamoJobRepository
        from sellerjobs.operations.search import JobSearch

        ops = self.settings.operations
        return JobSearch(promotions=DynamoJobRepository(table=ops.promotion_table),
                         fetches=DynamoFetchJobs(table=ops.category_table),
                         market=DynamoMarketJobs(table=ops.market_table))

    @_built_once
    def bulk_queue(self) -> SqsDelayQueue[BulkMessage]:
        from sellerjobs.aws.delay_queue import SqsDelayQueue

        return SqsDelayQueue(queue_url=self.settings.bulk.queue_url, clock=self.clock)

    @_built_once
    def bulk_action_service(self) -> BulkActionService:
        from sellerjobs.aws.bulk_actions import DynamoBulkActions
        from sellerjobs.promotions.bulk import BulkActionService

        return BulkActionService(actions=DynamoBulkActions(self.settings.promotions.jobs_table),
                                 jobs=self.promotion_jobs(),
                                 queue=self.bulk_queue(), clock=self.clock)

    @_built_once
    def bulk_worker(self) -> BulkWorker:
        from sellerjobs.aws.bulk_actions import DynamoBulkActions
        from sellerjobs.promotions.bulk import BulkWorker

        settings = self.settings.bulk
        return BulkWorker(actions=DynamoBulkActions(self.settings.promotions.jobs_table), jobs=self.promotion_jobs(),
                          promotions=self.promotion_service(), job_queue=self.promotion_queue(),
                          continuations=self.bulk_queue(),
                          clock=self.clock, page_size=settings.page_size, lease_s=settings.lease_s,
                          run_s=settings.run_s)

    # -- job events and webhooks ---------------------------------------------------------------------

    @_built_once
    def outbox(self) -> OutboxItems | None:
        """Where writers store the events of their state changes; None where the function has no
        EVENTS_TABLE (then a write that brings events fails loudly rather than dropping them)."""
        from sellerjobs.aws.events import OutboxItems

        table = self.settings.events.table
        return OutboxItems(table) if table else None

    @_built_once
    def announcer(self) -> EventAnnouncer:
        from sellerjobs.aws.delay_queue import SqsDelayQueue
        from sellerjobs.aws.events import SqsEventAnnouncer
        from sellerjobs.events.ports import NoAnnouncer

        url = self.settings.events.relay_queue_url
        if not url:
            return NoAnnouncer()
        return SqsEventAnnouncer(SqsDelayQueue(queue_url=url, clock=self.clock))

    @_built_once
    def event_store(self) -> DynamoEventStore:
        from sellerjobs.aws.events import DynamoEventStore

        return DynamoEventStore(self.settings.events.table)

    @_built_once
    def event_log(self) -> EventLog:
        from sellerjobs.events.log import EventLog

        return EventLog(store=self.event_store(), clock=self.clock)

    @_built_once
    def delivery_queue(self, url: str) -> SqsDelayQueue[DeliveryMessage]:
        from sellerjobs.aws.delay_queue import SqsDelayQueue

        return SqsDelayQueue(queue_url=url, clock=self.clock,
                             group_of=lambda m: m.group)

    @_built_once
    def webhook_store(self):  # type: ignore[no-untyped-def]
        from sellerjobs.aws.ebay_accounts import KmsSealer
        from sellerjobs.aws.webhooks import DynamoWebhookStore

        settings = self.settings.events
        return DynamoWebhookStore(table=settings.table, sealer=KmsSealer(settings.webhook_key_id))

    @_built_once
    def delivery_store(self):  # type: ignore[no-untyped-def]
        from sellerjobs.aws.webhooks import DynamoDeliveryStore

        return DynamoDeliveryStore(self.settings.events.table)

    @_built_once
    def webhook_fanout(self) -> WebhookFanout:
        from sellerjobs.webhooks.fanout import WebhookFanout

        return WebhookFanout(webhooks=self.webhook_store(), deliveries=self.delivery_store(),
                             queue=self.delivery_queue(self.settings.events.webhook_queue_url), clock=self.clock)

    @_built_once
    def event_relay(self) -> EventRelay:
        from sellerjobs.aws.events import EventBridgeBus
        from sellerjobs.events.relay import EventRelay

        settings = self.settings.events
        return EventRelay(store=self.event_store(), bus=EventBridgeBus(settings.bus_name), fanout=self.webhook_fanout(),
                          clock=self.clock)

    @_built_once
    def endpoint_policy(self) -> EndpointPolicy:
        from sellerjobs.webhooks.addresses import EndpointPolicy

        return EndpointPolicy(allow_loopback=self.settings.events.allow_loopback)

    @_built_once
    def webhook_service(self) -> WebhookService:
        from sellerjobs.outbound.http import SocketResolver
        from sellerjobs.webhooks.service import WebhookService

        settings = self.settings.events
        return WebhookService(store=self.webhook_store(), deliveries=self.delivery_store(),
                              queue=self.delivery_queue(settings.webhook_queue_url), resolver=SocketResolver(),
                              policy=self.endpoint_policy(), clock=self.clock, max_per_user=settings.max_per_seller,
                              rotation_overlap_s=settings.rotation_overlap_s)

    @_built_once
    def webhook_deliverer(self) -> WebhookDeliverer:
        from sellerjobs.outbound.http import HttpxWebhookSender, SocketResolver
        from sellerjobs.webhooks.delivery import WebhookDeliverer
        from sellerjobs.webhooks.retry import RetrySchedule

        settings = self.settings.events
        rng = random.Random(settings.retry_seed) if settings.retry_seed is not None else random.Random()
        return WebhookDeliverer(webhooks=self.webhook_store(), deliveries=self.delivery_store(),
                                queue=self.delivery_queue(settings.webhook_queue_url),
                                dead_letters=self.delivery_queue(settings.webhook_dead_letter_queue_url),
                                sender=HttpxWebhookSender(), resolver=SocketResolver(), policy=self.endpoint_policy(),
                                clock=self.clock, schedule=RetrySchedule(rng=rng), timeout_s=settings.timeout_s,
                                disable_after_s=settings.disable_after_s)

    # -- eBay plumbing shared by the workers ---------------------------------------------------------

    @_built_once
    def ebay_tokens(self):  # type: ignore[no-untyped-def]
        from sellerjobs.aws.app_secrets import ebay_app_credentials
        from sellerjobs.aws.ebay_accounts import DynamoCredentialStore, DynamoTokenCache, KmsSealer
        from sellerjobs.ebay.oauth import EbayOAuth, TokenProvider

        ebay = self.settings.ebay
        sealer = KmsSealer(ebay.token_key_id)
        oauth = EbayOAuth(http=self.ebay_http("oauth"), credentials=lambda: ebay_app_credentials(ebay.app_secret_name),
                          clock=self.clock)
        return TokenProvider(
            oauth=oauth,
            refresh_tokens=DynamoCredentialStore(table=ebay.accounts_table, sealer=sealer, clock=self.clock),
            cache=DynamoTokenCache(table=ebay.accounts_table, sealer=sealer), clock=self.clock,
            margin_s=ebay.token_refresh_margin_s)

    @_built_once
    def ebay_http(self, api: str, reserve: int = 1):  # type: ignore[no-untyped-def]
        from sellerjobs.aws.rate_buckets import DynamoRateLimiter
        from sellerjobs.ebay.http import BudgetedHttp, new_client
        from sellerjobs.jobs.rate_budget import RateBudget

        ebay = self.settings.ebay
        if api == "taxonomy":
            categories = self.settings.categories
            per_day = categories.taxonomy_calls_per_day
            budget = RateBudget(name="ebay-taxonomy", limit=per_day, window_s=86400.0,
                                burst=categories.taxonomy_burst or per_day)
        else:
            per_hour, burst = {"marketing": (ebay.marketing_calls_per_hour, ebay.marketing_burst),
                               "oauth": (ebay.oauth_calls_per_hour, ebay.oauth_burst)}[api]
            budget = RateBudget(name=f"ebay-{api}", limit=per_hour, window_s=3600.0, burst=burst)
        base_url = ebay.auth_base_url if api == "oauth" else ebay.api_base_url
        limiter = DynamoRateLimiter(table=ebay.rate_buckets_table, clock=self.clock) \
            if ebay.rate_buckets_table else None
        return BudgetedHttp(client=new_client(base_url, ebay.http_timeout_s), limiter=limiter, clock=self.clock,
                            budget=budget, reserve=reserve)

    # -- the HTTP API ----------------------------------------------------------------------------------

    @_built_once
    def idempotency_store(self) -> BasePersistenceLayer:
        from sellerjobs.aws.idempotency import persistence_layer

        return persistence_layer(self.settings.idempotency.table)


def bootstrap(settings: Settings, clock: Clock, overrides: Mapping[str, Any] | None = None) -> Services:
    """The services of a function with these settings, on this clock, with these replacements."""
    return Services(settings, clock, overrides)
