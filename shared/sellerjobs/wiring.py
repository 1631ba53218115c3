"""Composition roots: real adapters wired into services, once per container.

Handlers call these (cached) factories instead of building objects at import time, so a cold
start only imports what its function uses (httpx only in functions that call eBay) and tests can
point the environment at moto before anything is built. ``reset()`` forgets everything.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from sellerjobs import clock, config
from sellerjobs.environment import once_per_environment

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


@once_per_environment
def _jobs() -> DynamoJobRepository:
    from sellerjobs.aws.promotion_jobs import DynamoJobRepository

    settings = config.promotion_settings()
    return DynamoJobRepository(table=settings.jobs_table, due_shards=settings.due_shards, outbox=_outbox())


@once_per_environment
def _queue() -> SqsDelayQueue[JobMessage]:
    from sellerjobs.aws.delay_queue import SqsDelayQueue

    return SqsDelayQueue(queue_url=config.promotion_settings().queue_url, clock=clock.current(),
                         time_scale=config.runtime_settings().time_scale, group_of=lambda m: m.group)


@once_per_environment
def retry_policy(name: str | None = None) -> RetryPolicy:
    from sellerjobs.jobs.retry import policy_named

    settings = config.promotion_settings()
    rng = random.Random(settings.retry_seed) if settings.retry_seed is not None else None
    return policy_named(name or settings.retry_policy, sync_window_s=settings.sync_window_s,
                        first_delay_s=settings.first_attempt_delay_s, rng=rng)


@once_per_environment
def promotion_service() -> PromotionService:
    from sellerjobs.promotions.service import PromotionService

    settings, accounts = config.promotion_settings(), config.accounts_settings()
    return PromotionService(jobs=_jobs(), queue=_queue(), policy=retry_policy(), clock=clock.current(),
                            first_delay_s=settings.first_attempt_delay_s, stagger_s=settings.stagger_s,
                            history_s=settings.history_days * 86400, coalesce_s=settings.coalesce_s,
                            connections=ebay_connections() if accounts.accounts_table else None,
                            events=_announcer())


@once_per_environment
def promotion_worker() -> PromotionWorker:
    from sellerjobs.ebay.marketing import MarketingApi
    from sellerjobs.promotions.campaigns import CampaignResolver
    from sellerjobs.promotions.worker import PromotionWorker

    settings, ebay = config.promotion_settings(), config.ebay_settings()
    marketing = MarketingApi(http=_ebay_http("marketing"), tokens=_ebay_tokens(),
                             marketplace_id=ebay.marketplace_id, clock=clock.current(),
                             normal_headroom=ebay.marketing_priority_reserve)
    from sellerjobs.aws.ebay_accounts import DynamoCampaignCache

    campaigns = CampaignResolver(
        ads=marketing,
        cache=DynamoCampaignCache(table=ebay.accounts_table, clock=clock.current(),
                                  marketplace_id=ebay.marketplace_id, ttl_s=settings.campaign_cache_s),
        auto_create=settings.campaign_auto_create, name=settings.campaign_name,
        bid_percentage=settings.campaign_bid_percentage)
    from sellerjobs.aws.promotion_jobs import DynamoSellerPolls
    from sellerjobs.jobs.pause import QueueName

    return PromotionWorker(jobs=_jobs(), queue=_queue(), ads=marketing, campaigns=campaigns,
                           policy_for=retry_policy, clock=clock.current(),
                           history_s=settings.history_days * 86400, coalesce_s=settings.coalesce_s,
                           pause=_pause_switch(QueueName.PROMOTION, settings.jobs_table),
                           paused_recheck_s=config.pause_settings().recheck_s,
                           polls=DynamoSellerPolls(table=settings.jobs_table), events=_announcer())


@once_per_environment
def promotion_sweeper() -> PromotionSweeper:
    from sellerjobs.promotions.sweeper import PromotionSweeper

    settings = config.promotion_settings()
    return PromotionSweeper(jobs=_jobs(), queue=_queue(), clock=clock.current(),
                            overdue_s=settings.sweep_overdue_s, max_jobs=settings.sweep_max_jobs)


@once_per_environment
def ebay_account_service() -> EbayAccountService:
    from sellerjobs.accounts import EbayAccountService
    from sellerjobs.aws.ebay_accounts import DynamoCredentialStore, DynamoTokenCache, KmsSealer
    from sellerjobs.ebay.credentials import MARKETING_SCOPE

    ebay = config.ebay_settings()
    sealer = KmsSealer(ebay.token_key_id)
    return EbayAccountService(
        credentials=DynamoCredentialStore(table=ebay.accounts_table, sealer=sealer, clock=clock.current()),
        tokens=DynamoTokenCache(table=ebay.accounts_table, sealer=sealer), token_scope=MARKETING_SCOPE)


@once_per_environment
def ebay_connections() -> DynamoConnections:
    from sellerjobs.aws.ebay_accounts import DynamoConnections

    return DynamoConnections(config.accounts_settings().accounts_table)


@once_per_environment
def _fetch_jobs() -> DynamoFetchJobs:
    from sellerjobs.aws.aspects import AspectItems
    from sellerjobs.aws.category_fetches import DynamoFetchJobs

    settings = config.category_settings()
    return DynamoFetchJobs(table=settings.fetch_table,
                           aspects=AspectItems(table=settings.aspects_table, bucket=settings.aspects_bucket),
                           outbox=_outbox())


@once_per_environment
def _fetch_queue() -> SqsDelayQueue[FetchMessage]:
    from sellerjobs.aws.delay_queue import SqsDelayQueue

    return SqsDelayQueue(queue_url=config.category_settings().queue_url, clock=clock.current(),
                         time_scale=config.runtime_settings().time_scale, group_of=lambda m: m.group)


@once_per_environment
def _taxonomy(reserve: int = 1) -> TaxonomyApi:
    from sellerjobs.ebay.taxonomy import TaxonomyApi

    return TaxonomyApi(http=_ebay_http("taxonomy", reserve), tokens=_ebay_tokens())


@once_per_environment
def category_service() -> CategoryFetchService:
    from sellerjobs.aws.aspects import DynamoAspectStore
    from sellerjobs.categories.service import CategoryFetchService

    settings = config.category_settings()
    return CategoryFetchService(jobs=_fetch_jobs(), aspects=DynamoAspectStore(settings.aspects_table,
                                                                              settings.aspects_bucket),
                                taxonomy_factory=_taxonomy, queue=_fetch_queue(), clock=clock.current(),
                                events=_announcer())


@once_per_environment
def category_worker() -> CategoryFetchWorker:
    from sellerjobs.categories.worker import CategoryFetchWorker, FetchSettings

    settings = config.category_settings()
    # The worker takes budget in blocks and hands back what a run did not use; the API
    # (one call per request) takes single calls.
    taxonomy = _taxonomy(settings.taxonomy_reserve)
    http = taxonomy.http
    from sellerjobs.jobs.pause import QueueName

    return CategoryFetchWorker(
        jobs=_fetch_jobs(), taxonomy=taxonomy, queue=_fetch_queue(), clock=clock.current(),
        settings=FetchSettings(spacing_s=settings.spacing_s, run_s=settings.run_s, lease_s=settings.lease_s,
                               max_attempts=settings.max_attempts, retry_backoff_s=settings.retry_backoff_s,
                               bulk_share=settings.bulk_share, user_slots=settings.user_slots),
        release_budget=lambda: http.release(clock.current().now()),
        pause=_pause_switch(QueueName.CATEGORY_FETCH, settings.fetch_table),
        paused_recheck_s=config.pause_settings().recheck_s, events=_announcer())


# -- market data ---------------------------------------------------------------------------------

@once_per_environment
def _market_jobs():  # type: ignore[no-untyped-def]
    from sellerjobs.aws.market import DynamoMarketJobs

    return DynamoMarketJobs(table=config.market_settings().table, outbox=_outbox())


@once_per_environment
def _market_limiter():  # type: ignore[no-untyped-def]
    from sellerjobs.aws.rate_buckets import DynamoRateLimiter

    return DynamoRateLimiter(table=config.market_settings().rate_buckets_table, clock=clock.current())


@once_per_environment
def market_budgets() -> dict[Provider, RateBudget]:
    from sellerjobs.market.job import Provider
    from sellerjobs.market.scheduler import hourly_budget

    settings = config.market_settings()
    per_hour = settings.calls_per_hour()
    return {provider: hourly_budget(provider, per_hour[provider.value], settings.manual_reserve)
            for provider in Provider}


@once_per_environment
def market_service() -> MarketService:
    from sellerjobs.aws.market import DynamoPriceCache, DynamoShareSettings
    from sellerjobs.market.service import MarketService
    from sellerjobs.market.share import SellerShares

    settings = config.market_settings()
    shares = SellerShares(limiter=_market_limiter(), budgets=market_budgets(),
                          settings=DynamoShareSettings(settings.table), default_share=settings.seller_share,
                          manual_burst=settings.manual_reserve)
    # Manual refreshes go out at once where the function may send to the market queue.
    dispatcher = market_scheduler() if settings.queue_url else None
    return MarketService(jobs=_market_jobs(), prices=DynamoPriceCache(settings.table), limiter=_market_limiter(),
                         budgets=market_budgets(), clock=clock.current(), stale_after_s=settings.stale_after_s,
                         shares=shares, dispatcher=dispatcher)


@once_per_environment
def market_scheduler() -> MarketScheduler:
    from sellerjobs.aws.delay_queue import SqsDelayQueue
    from sellerjobs.market.scheduler import MarketScheduler, SchedulerSettings

    settings = config.market_settings()
    queue: SqsDelayQueue[MarketBatch] = SqsDelayQueue(queue_url=settings.queue_url, clock=clock.current())
    from sellerjobs.jobs.pause import QueueName

    return MarketScheduler(
        jobs=_market_jobs(), queue=queue, limiter=_market_limiter(),
        budgets=market_budgets(), clock=clock.current(),
        settings=SchedulerSettings(batch_size=settings.batch_size, stuck_after_s=settings.stuck_after_s,
                                   manual_reserve=settings.manual_reserve),
        pause=_pause_switch(QueueName.MARKET, settings.table))


@once_per_environment
def market_worker() -> MarketWorker:
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

    settings, ebay = config.market_settings(), config.ebay_settings()
    catalog = DynamoCatalogCache(settings.table, clock.current())
    secret = settings.providers_secret_name

    def http(base_url: str):  # type: ignore[no-untyped-def]
        return new_client(base_url, settings.http_timeout_s)

    sources: dict[Provider, QuoteSource] = {
        Provider.STOCKX: StockXClient(
            api=http(settings.stockx_base_url), oauth=http(settings.stockx_auth_base_url),
            credentials=lambda: market_credentials(secret).require_stockx(), catalog=catalog, clock=clock.current(),
            tokens=DynamoTokenCache(table=ebay.accounts_table, sealer=KmsSealer(ebay.token_key_id))),
        Provider.ALIAS: AliasClient(http=http(settings.alias_base_url),
                                    credentials=lambda: market_credentials(secret).require_alias(), catalog=catalog),
        # Browse's application token comes from the same cache and OAuth budget as the other eBay calls.
        Provider.EBAY: EbayBrowseClient(http=http(settings.ebay_api_base_url), tokens=_ebay_tokens(),
                                        marketplace_id=settings.ebay_marketplace_id),
    }
    return MarketWorker(jobs=_market_jobs(), prices=DynamoPriceCache(settings.table), sources=sources,
                        limiter=_market_limiter(), budgets=market_budgets(), clock=clock.current(),
                        settings=WorkerSettings(spacing_s={p: settings.spacing_s for p in Provider},
                                                retries=settings.retries,
                                                retry_backoff_s=settings.retry_backoff_s,
                                                manual_reserve=settings.manual_reserve,
                                                stale_after_s=settings.stale_after_s),
                        pause=_pause_switch(QueueName.MARKET, settings.table), events=_announcer())


# -- operating the queues --------------------------------------------------------------------------

@once_per_environment
def _pause_switch(queue: QueueName, table: str) -> PauseSwitch:
    """The queue's pause switch as its workers read it: at most every QUEUE_PAUSE_CACHE_SECONDS."""
    from sellerjobs.aws.queue_control import DynamoPauseStore
    from sellerjobs.jobs.pause import PauseSwitch

    return PauseSwitch(store=DynamoPauseStore(table), queue=queue, clock=clock.current(),
                       ttl_s=config.pause_settings().cache_s)


@once_per_environment
def queues_service() -> QueuesService:
    from sellerjobs.aws.category_fetches import DynamoFetchJobs
    from sellerjobs.aws.market import DynamoMarketJobs
    from sellerjobs.aws.promotion_jobs import DynamoJobRepository
    from sellerjobs.aws.queue_control import DynamoPauseStore, SqsQueueStats
    from sellerjobs.jobs.pause import QueueName
    from sellerjobs.operations.queues import QueuesService, QueueUrls

    ops, urls = config.operations_settings(), config.queue_url_settings()
    promotions = DynamoJobRepository(table=ops.promotion_table)
    fetches = DynamoFetchJobs(table=ops.category_table)
    market = DynamoMarketJobs(table=ops.market_table)
    return QueuesService(
        promotion_counts=lambda: {status.value: n for status, n in promotions.global_counts().items()},
        category_counts=fetches.counts, market_counts=market.counts,
        stats=SqsQueueStats(time_scale=config.runtime_settings().time_scale),
        urls={QueueName.PROMOTION: QueueUrls(urls.promotion_queue_url, urls.promotion_dead_letter_url),
              QueueName.CATEGORY_FETCH: QueueUrls(urls.category_queue_url, urls.category_dead_letter_url),
              QueueName.MARKET: QueueUrls(urls.market_queue_url, urls.market_dead_letter_url)},
        pauses={QueueName.PROMOTION: DynamoPauseStore(ops.promotion_table),
                QueueName.CATEGORY_FETCH: DynamoPauseStore(ops.category_table),
                QueueName.MARKET: DynamoPauseStore(ops.market_table)},
        clock=clock.current())


@once_per_environment
def job_search() -> JobSearch:
    from sellerjobs.aws.category_fetches import DynamoFetchJobs
    from sellerjobs.aws.market import DynamoMarketJobs
    from sellerjobs.aws.promotion_jobs import DynamoJobRepository
    from sellerjobs.operations.search import JobSearch

    ops = config.operations_settings()
    return JobSearch(promotions=DynamoJobRepository(table=ops.promotion_table),
                     fetches=DynamoFetchJobs(table=ops.category_table), market=DynamoMarketJobs(table=ops.market_table))


@once_per_environment
def _bulk_queue() -> SqsDelayQueue[BulkMessage]:
    from sellerjobs.aws.delay_queue import SqsDelayQueue

    return SqsDelayQueue(queue_url=config.bulk_settings().queue_url, clock=clock.current(),
                         time_scale=config.runtime_settings().time_scale)


@once_per_environment
def bulk_action_service() -> BulkActionService:
    from sellerjobs.aws.bulk_actions import DynamoBulkActions
    from sellerjobs.promotions.bulk import BulkActionService

    return BulkActionService(actions=DynamoBulkActions(config.promotion_settings().jobs_table), jobs=_jobs(),
                             queue=_bulk_queue(), clock=clock.current())


@once_per_environment
def bulk_worker() -> BulkWorker:
    from sellerjobs.aws.bulk_actions import DynamoBulkActions
    from sellerjobs.promotions.bulk import BulkWorker

    settings = config.bulk_settings()
    return BulkWorker(actions=DynamoBulkActions(config.promotion_settings().jobs_table), jobs=_jobs(),
                      promotions=promotion_service(), job_queue=_queue(), continuations=_bulk_queue(),
                      clock=clock.current(), page_size=settings.page_size, lease_s=settings.lease_s,
                      run_s=settings.run_s)


# -- job events and webhooks ---------------------------------------------------------------------

@once_per_environment
def _outbox() -> OutboxItems | None:
    """Where writers store the events of their state changes; None where the function has no
    EVENTS_TABLE (then a write that brings events fails loudly rather than dropping them)."""
    from sellerjobs.aws.events import OutboxItems

    table = config.event_settings().table
    return OutboxItems(table) if table else None


@once_per_environment
def _announcer() -> EventAnnouncer:
    from sellerjobs.aws.delay_queue import SqsDelayQueue
    from sellerjobs.aws.events import SqsEventAnnouncer
    from sellerjobs.events.ports import NoAnnouncer

    url = config.event_settings().relay_queue_url
    if not url:
        return NoAnnouncer()
    return SqsEventAnnouncer(SqsDelayQueue(queue_url=url, clock=clock.current()))


@once_per_environment
def event_store() -> DynamoEventStore:
    from sellerjobs.aws.events import DynamoEventStore

    return DynamoEventStore(config.event_settings().table)


@once_per_environment
def event_log() -> EventLog:
    from sellerjobs.events.log import EventLog

    return EventLog(store=event_store(), clock=clock.current())


def _delivery_queue(url: str) -> SqsDelayQueue[DeliveryMessage]:
    from sellerjobs.aws.delay_queue import SqsDelayQueue

    return SqsDelayQueue(queue_url=url, clock=clock.current(), time_scale=config.runtime_settings().time_scale,
                         group_of=lambda m: m.group)


@once_per_environment
def _webhook_store():  # type: ignore[no-untyped-def]
    from sellerjobs.aws.ebay_accounts import KmsSealer
    from sellerjobs.aws.webhooks import DynamoWebhookStore

    settings = config.event_settings()
    return DynamoWebhookStore(table=settings.table, sealer=KmsSealer(settings.webhook_key_id))


@once_per_environment
def _delivery_store():  # type: ignore[no-untyped-def]
    from sellerjobs.aws.webhooks import DynamoDeliveryStore

    return DynamoDeliveryStore(config.event_settings().table)


@once_per_environment
def webhook_fanout() -> WebhookFanout:
    from sellerjobs.webhooks.fanout import WebhookFanout

    return WebhookFanout(webhooks=_webhook_store(), deliveries=_delivery_store(),
                         queue=_delivery_queue(config.event_settings().webhook_queue_url), clock=clock.current())


@once_per_environment
def event_relay() -> EventRelay:
    from sellerjobs.aws.events import EventBridgeBus
    from sellerjobs.events.relay import EventRelay

    settings = config.event_settings()
    return EventRelay(store=event_store(), bus=EventBridgeBus(settings.bus_name), fanout=webhook_fanout(),
                      clock=clock.current())


def _endpoint_policy() -> EndpointPolicy:
    from sellerjobs.webhooks.addresses import EndpointPolicy

    return EndpointPolicy(allow_loopback=config.event_settings().allow_loopback)


@once_per_environment
def webhook_service() -> WebhookService:
    from sellerjobs.outbound.http import SocketResolver
    from sellerjobs.webhooks.service import WebhookService

    settings = config.event_settings()
    return WebhookService(store=_webhook_store(), deliveries=_delivery_store(),
                          queue=_delivery_queue(settings.webhook_queue_url), resolver=SocketResolver(),
                          policy=_endpoint_policy(), clock=clock.current(), max_per_user=settings.max_per_seller,
                          rotation_overlap_s=settings.rotation_overlap_s)


@once_per_environment
def webhook_deliverer() -> WebhookDeliverer:
    from sellerjobs.outbound.http import HttpxWebhookSender, SocketResolver
    from sellerjobs.webhooks.delivery import WebhookDeliverer
    from sellerjobs.webhooks.retry import RetrySchedule

    settings = config.event_settings()
    rng = random.Random(settings.retry_seed) if settings.retry_seed is not None else random.Random()
    return WebhookDeliverer(webhooks=_webhook_store(), deliveries=_delivery_store(),
                            queue=_delivery_queue(settings.webhook_queue_url),
                            dead_letters=_delivery_queue(settings.webhook_dead_letter_queue_url),
                            sender=HttpxWebhookSender(), resolver=SocketResolver(), policy=_endpoint_policy(),
                            clock=clock.current(), schedule=RetrySchedule(rng=rng), timeout_s=settings.timeout_s,
                            disable_after_s=settings.disable_after_s)


# -- eBay plumbing shared by the workers ---------------------------------------------------------

@once_per_environment
def _ebay_tokens():  # type: ignore[no-untyped-def]
    from sellerjobs.aws.app_secrets import ebay_app_credentials
    from sellerjobs.aws.ebay_accounts import DynamoCredentialStore, DynamoTokenCache, KmsSealer
    from sellerjobs.ebay.oauth import EbayOAuth, TokenProvider

    ebay = config.ebay_settings()
    sealer = KmsSealer(ebay.token_key_id)
    oauth = EbayOAuth(http=_ebay_http("oauth"), credentials=lambda: ebay_app_credentials(ebay.app_secret_name),
                      clock=clock.current())
    return TokenProvider(
        oauth=oauth,
        refresh_tokens=DynamoCredentialStore(table=ebay.accounts_table, sealer=sealer, clock=clock.current()),
        cache=DynamoTokenCache(table=ebay.accounts_table, sealer=sealer), clock=clock.current(),
        margin_s=ebay.token_refresh_margin_s)


@once_per_environment
def _ebay_http(api: str, reserve: int = 1):  # type: ignore[no-untyped-def]
    from sellerjobs.aws.rate_buckets import DynamoRateLimiter
    from sellerjobs.ebay.http import BudgetedHttp, new_client
    from sellerjobs.jobs.rate_budget import RateBudget

    ebay = config.ebay_settings()
    if api == "taxonomy":
        categories = config.category_settings()
        per_day = categories.taxonomy_calls_per_day
        budget = RateBudget(name="ebay-taxonomy", limit=per_day, window_s=86400.0,
                            burst=categories.taxonomy_burst or per_day)
    else:
        per_hour, burst = {"marketing": (ebay.marketing_calls_per_hour, ebay.marketing_burst),
                           "oauth": (ebay.oauth_calls_per_hour, ebay.oauth_burst)}[api]
        budget = RateBudget(name=f"ebay-{api}", limit=per_hour, window_s=3600.0, burst=burst)
    base_url = ebay.auth_base_url if api == "oauth" else ebay.api_base_url
    limiter = DynamoRateLimiter(table=ebay.rate_buckets_table, clock=clock.current()) \
        if ebay.rate_buckets_table else None
    return BudgetedHttp(client=new_client(base_url, ebay.http_timeout_s), limiter=limiter, clock=clock.current(),
                        budget=budget, reserve=reserve)


# -- the HTTP API ----------------------------------------------------------------------------------

@once_per_environment
def idempotency_store() -> BasePersistenceLayer:
    from sellerjobs.aws.idempotency import persistence_layer

    return persistence_layer(config.idempotency_settings().table)


def reset() -> None:
    """Forget every wired object, settings and AWS client (after the environment changed)."""
    config.reset()  # forgets what was built once per environment, the wired objects included
    from sellerjobs.aws import app_secrets, clients

    app_secrets.reset()
    clients.reset()
