"""Market data for a day: how much of each provider's hourly budget is spent, never more, in priority order.

24 virtual hours, three providers (StockX 100, Alias 200, eBay Browse 150 calls an hour), on one
virtual stack: the real market API, the every-minute scheduler, the worker and its queue, moto,
and the marketplace sandbox's StockX, Alias and Browse over HTTP, each refusing (429) any call
beyond the same hourly limits in clock-aligned hours. A backlog of 20,000 jobs ("hot", priority
150, and "background", 100; one job per provider, sku and size of the sandbox catalog) goes in
through ``POST /market/jobs`` in lists of 100 during the first minutes; every 30 minutes a seller
refreshes 5 items per provider (``POST /market/refresh``, priority 200).

Measured from the outside: every call the sandbox saw (per provider, per clock hour, its status),
every write of a market job the handlers made (observed on their DynamoDB client: when each job
waited, with which priority, and when the scheduler started it) and the scheduler's run records.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.harness import START, Bench, bench_stack, percentile
from bench.report import emit, fmt
from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import from_item
from sellerjobs.aws.market import DynamoMarketJobs

HOUR = 3600.0
USER = "bench-seller"
PROVIDERS = ("stockx", "alias", "ebay")
LIMITS = {"stockx": 100, "alias": 200, "ebay": 150}  # calls an hour: our budgets and the providers' limits
SANDBOX_GROUPS = {"stockx": "stockx", "alias": "alias", "ebay": "browse"}
BUDGET_ENV = {"stockx": "STOCKX_CALLS_PER_HOUR", "alias": "ALIAS_CALLS_PER_HOUR", "ebay": "EBAY_BROWSE_CALLS_PER_HOUR"}
# The calls that fetch a price; the others look up a sku's ids (once per sku, then cached).
PRICE_OPERATIONS = {"stockx": {"stockx_variant_market_data", "stockx_product_market_data"},
                    "alias": {"alias_availability", "alias_availabilities"},
                    "ebay": {"search_item_summaries"}}
HOT, BACKGROUND, MANUAL = 150, 100, 200
QUEUED = ("pending", "deferred")
SCHEDULER_FUNCTION = "MarketSchedulerFunction"
MAX_ITEMS = 100  # the API's cap on a list
SKU_STEP = 50  # the catalog grows in steps of this many skus until the backlog fits


@dataclass(frozen=True)
class Scenario:
    hours: float = 24.0
    backlog: int = 20_000
    hot_share: float = 0.2
    refresh_every_s: float = 1800.0
    refresh_items: int = 5  # per provider and round
    chunk_every_s: float = 1.0  # the backlog's lists of 100 arrive one a second
    min_skus: int = 300
    seed: int = 2026

    def env(self) -> dict[str, str]:
        return {BUDGET_ENV[p]: str(LIMITS[p]) for p in PROVIDERS}


# -- the plan ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chunk:
    at: float  # seconds after the start
    provider: str
    priority: int
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RefreshRound:
    at: float
    items: dict[str, tuple[tuple[str, str], ...]]  # per provider


@dataclass
class Plan:
    skus: int
    chunks: list[Chunk]
    rounds: list[RefreshRound]
    pairs_available: dict[str, int]


def _pairs(bench: Bench, provider: str) -> list[tuple[str, str]]:
    sandbox = bench.sandbox
    return [(sku, size) for sku in sandbox.market_skus(provider) for size in sandbox.market_product(sku)["sizes"]]


def plan(bench: Bench, scenario: Scenario) -> Plan:
    """Choose the catalog size, the backlog and the refreshes; serve that catalog."""
    rng = random.Random(scenario.seed)
    share = {p: scenario.backlog // len(PROVIDERS) + (1 if i < scenario.backlog % len(PROVIDERS) else 0)
             for i, p in enumerate(PROVIDERS)}
    skus = scenario.min_skus
    while True:  # every (provider, sku, size) at most once: a catalog with enough of them
        bench.sandbox.use_market_catalog(skus=skus, seed=scenario.seed)
        pairs = {p: _pairs(bench, p) for p in PROVIDERS}
        if all(len(pairs[p]) >= share[p] for p in PROVIDERS):
            break
        skus += SKU_STEP
    chunks: list[Chunk] = []
    refreshable: dict[str, list[tuple[str, str]]] = {}
    for provider in PROVIDERS:
        chosen = rng.sample(pairs[provider], share[provider])
        hot = round(len(chosen) * scenario.hot_share)
        for priority, items in ((HOT, chosen[:hot]), (BACKGROUND, chosen[hot:])):
            for start in range(0, len(items), MAX_ITEMS):
                chunks.append(Chunk(0.0, provider, priority, tuple(items[start:start + MAX_ITEMS])))
        refreshable[provider] = rng.sample(chosen, len(chosen))
    rng.shuffle(chunks)  # hot and background lists, of all providers, arrive interleaved
    chunks = [Chunk(i * scenario.chunk_every_s, c.provider, c.priority, c.items) for i, c in enumerate(chunks)]
    rounds = []
    end = scenario.hours * HOUR
    k = 1
    while (at := k * scenario.refresh_every_s + rng.uniform(0, 60)) < end:
        # A seller refreshes items of the backlog: waiting (raised to 200), done, or running.
        picked = {p: tuple(refreshable[p].pop() for _ in range(min(scenario.refresh_items, len(refreshable[p]))))
                  for p in PROVIDERS}
        rounds.append(RefreshRound(at, picked))
        k += 1
    return Plan(skus=skus, chunks=chunks, rounds=rounds, pairs_available={p: len(pairs[p]) for p in PROVIDERS})


# -- watching the handlers' writes ---------------------------------------------------------------

@dataclass(frozen=True)
class Write:
    """One market job written (status, priority), or one price cached, in the order they happened."""

    at: float  # virtual seconds
    kind: str  # "job" or "price"
    key: str  # provider|sku|size
    status: str = ""
    priority: int = 0
    started_at_ms: int | None = None


@dataclass
class WriteLog:
    writes: list[Write] = field(default_factory=list)

    def attach(self, bench: Bench) -> WriteLog:
        events = clients.dynamodb().meta.events
        clock = bench.clock

        def keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["bench_market_params"] = params

        def transaction(http_response: Any, context: dict[str, Any], **_: Any) -> None:
            params = context.get("bench_market_params")
            if params is None or http_response.status_code >= 300:
                return
            now = clock.now()
            for entry in params.get("TransactItems", []):
                item = _job_written(entry)
                if item is None:
                    continue
                started = item.get("startedAt")
                self.writes.append(Write(at=now, kind="job", key=str(item["pk"])[5:], status=str(item["status"]),
                                         priority=int(item["priority"]),
                                         started_at_ms=None if started is None else int(started)))

        def put_item(http_response: Any, context: dict[str, Any], **_: Any) -> None:
            params = context.get("bench_market_params")
            if params is None or http_response.status_code >= 300:
                return
            pk = params["Item"]["pk"].get("S", "")
            if pk.startswith("PRICE#"):
                self.writes.append(Write(at=clock.now(), kind="price", key=pk[6:]))

        for operation in ("TransactWriteItems", "PutItem"):
            events.register(f"provide-client-params.dynamodb.{operation}", keep,
                            unique_id=f"bench-market-keep-{operation}")
        events.register("after-call.dynamodb.TransactWriteItems", transaction, unique_id="bench-market-transaction")
        events.register("after-call.dynamodb.PutItem", put_item, unique_id="bench-market-price")
        return self


def _job_written(entry: dict[str, Any]) -> dict[str, Any] | None:
    """A market job as a transaction item writes it: a new job's put, or a move's update (which
    sets every attribute but the history, and removes the ones that no longer have a value)."""
    if "Put" in entry:
        item = entry["Put"]["Item"]
        return from_item(item) if item["pk"].get("S", "").startswith("MJOB#") else None
    update = entry.get("Update")
    if update is None or not update["Key"]["pk"].get("S", "").startswith("MJOB#"):
        return None
    names, values = update.get("ExpressionAttributeNames", {}), update.get("ExpressionAttributeValues", {})
    assigned = re.findall(r"(#\w+) = (:\w+)", update["UpdateExpression"])
    return {"pk": from_item(update["Key"])["pk"]} | from_item({names[n]: values[v] for n, v in assigned})


# -- running -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Refresh:
    key: str
    at: float
    seq: int  # writes logged before the request: what happened after it comes after this
    running: bool  # the key's job was already running: this fetch answers the refresh


def run_day(scenario: Scenario) -> dict[str, Any]:
    started = time.perf_counter()
    with bench_stack(env=scenario.env()) as bench:
        for provider in PROVIDERS:
            bench.sandbox.set_rate_limit(SANDBOX_GROUPS[provider], LIMITS[provider], HOUR, fixed=True)
        the_plan = plan(bench, scenario)
        log = WriteLog().attach(bench)
        bench.sandbox.reset_calls()
        end = START + scenario.hours * HOUR
        refreshes: list[Refresh] = []
        steps: list[tuple[float, Chunk | RefreshRound]] = [(c.at, c) for c in the_plan.chunks]
        steps += [(r.at, r) for r in the_plan.rounds]
        steps.sort(key=lambda step: step[0])
        simulated = time.perf_counter()
        api_seconds = 0.0
        for at, step in steps:
            bench.virtual.sim.run_until(START + at)
            requested = time.perf_counter()
            if isinstance(step, Chunk):
                _post(bench, "/market/jobs", {"provider": step.provider, "priority": step.priority,
                                              "items": [{"sku": s, "size": z} for s, z in step.items]})
            else:
                refreshes += _refresh(bench, log, step)
            api_seconds += time.perf_counter() - requested
        bench.virtual.sim.run_until(end)
        bench.virtual.sim.finish_running()
        simulation_seconds = time.perf_counter() - simulated
        runs = _runs(bench)
        scheduler_invocations = sum(1 for entry in bench.virtual.sim.invocations
                                    if entry.function == SCHEDULER_FUNCTION)
        jobs = DynamoMarketJobs(bench.virtual.stack.table_name("MarketTable")).counts()
        calls = bench.sandbox.calls
        operations = {p: set(bench.sandbox.call_counts(p)) for p in PROVIDERS}
        result = measure(scenario, the_plan, calls, operations, log.writes, refreshes, runs, jobs, end)
    result["runs"] = {"records": len(runs), "scheduler_invocations": scheduler_invocations}
    result["real_seconds"] = time.perf_counter() - started
    result["real_seconds_simulation"] = simulation_seconds  # the virtual hours, API requests included
    result["real_seconds_api_requests"] = api_seconds
    return result


def _post(bench: Bench, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = bench.call("POST", path, USER, body)
    if response.status != 202:
        raise RuntimeError(f"POST {path} answered {response.status}: {response.body}")
    return dict(response.json())


def _refresh(bench: Bench, log: WriteLog, round_: RefreshRound) -> list[Refresh]:
    done = []
    for provider in PROVIDERS:
        items = round_.items[provider]
        if not items:
            continue
        seq = len(log.writes)
        at = bench.clock.now()
        reply = _post(bench, "/market/refresh", {"provider": provider,
                                                 "items": [{"sku": s, "size": z} for s, z in items]})
        for job in reply["jobs"]:
            key = f"{provider}|{job['sku']}|{job['size'] or ''}"
            # Running since before the request: that fetch answers it. Started by the request itself (a
            # manual refresh goes out at once when the budget allows): its wait is measured.
            before = job["status"] == "running" and (job["startedAt"] or 0) < int(at * 1000)
            done.append(Refresh(key=key, at=at, seq=seq, running=before))
    return done


def _runs(bench: Bench) -> list[dict[str, Any]]:
    table = bench.virtual.stack.table_name("MarketTable")
    runs = DynamoMarketJobs(table).recent_runs(1_000_000)
    return [{"dispatched": r.dispatched, "read": r.read, "trigger": r.trigger} for r in runs]


# -- measuring -----------------------------------------------------------------------------------

def provider_calls(calls: list[dict[str, Any]], operations: set[str]) -> list[dict[str, Any]]:
    """The provider's API calls, token mints left out."""
    return [c for c in calls if c["operation"] in operations and "token" not in c["operation"]]


def measure(scenario: Scenario, the_plan: Plan, calls: list[dict[str, Any]], operations: dict[str, set[str]],
            writes: list[Write], refreshes: list[Refresh], runs: list[dict[str, Any]],
            jobs: dict[str, dict[str, int]], end: float) -> dict[str, Any]:
    providers: dict[str, dict[str, Any]] = {}
    inversions = priority_inversions(writes)
    for provider in PROVIDERS:
        limit = LIMITS[provider]
        made = provider_calls(calls, operations[provider])
        in_run = [c for c in made if START <= c["at"] < end]
        per_hour = Counter(int(c["at"] // HOUR) for c in made)
        whole_hours = [per_hour.get(int(START // HOUR) + h, 0) for h in range(int(scenario.hours))]
        by_operation = Counter(c["operation"] for c in made)
        price_calls = sum(n for op, n in by_operation.items() if op in PRICE_OPERATIONS[provider])
        providers[provider] = {
            "limit_per_hour": limit,
            "calls": len(in_run),
            "utilisation": len(in_run) / (limit * scenario.hours),
            "min_hour_utilisation": min(whole_hours) / limit if whole_hours else None,
            "calls_per_hour": whole_hours,
            "over_budget_calls": sum(max(0, n - limit) for n in per_hour.values()),
            "throttled_429": sum(1 for c in made if c["status"] == 429),
            "other_errors": sum(1 for c in made if c["status"] != 429 and (c["status"] is None or c["status"] >= 500)),
            "calls_after_the_end": len(made) - len(in_run),
            "price_calls": price_calls,
            "lookup_calls": len(made) - price_calls,
            "calls_by_operation": dict(sorted(by_operation.items())),
            "dispatched": sum(r["dispatched"].get(provider, 0) for r in runs),
            "jobs": jobs[provider],
            "priority_inversions": inversions[provider],
            "backlog": sum(1 for c in the_plan.chunks if c.provider == provider for _ in c.items),
            "pairs_in_catalog": the_plan.pairs_available[provider],
        }
    waits = refresh_waits(writes, refreshes, end)
    read = sum(sum(r["read"].values()) for r in runs)
    dispatched = sum(sum(r["dispatched"].values()) for r in runs)
    reads_per_dispatched = read / dispatched if dispatched else 0.0
    result: dict[str, Any] = {
        "scenario": asdict(scenario),
        "catalog_skus": the_plan.skus,
        "providers": providers,
        "priority_inversions": sum(inversions.values()),
        "p95_wait_priority_200_s": waits["p95_dispatch_s"],
        "p95_price_cached_priority_200_s": waits["p95_cached_s"],
        "refreshes": waits,
        "reads_per_dispatched": reads_per_dispatched,
        "reads": read,
        "dispatched": dispatched,
    }
    result["targets"] = {
        **{f"{p}_utilisation_at_least_98_percent": providers[p]["utilisation"] >= 0.98 for p in PROVIDERS},
        "no_call_over_budget_in_any_hour": all(providers[p]["over_budget_calls"] == 0 for p in PROVIDERS),
        "no_429_received": all(providers[p]["throttled_429"] == 0 for p in PROVIDERS),
        "no_priority_inversion": result["priority_inversions"] == 0,
        "p95_wait_of_refreshes_at_most_60_s_in_every_hour": waits["count"] > 0 and all(
            p95 <= 60.0 for p95 in waits["p95_dispatch_s_by_hour"]),
        "reads_at_most_2x_dispatched": reads_per_dispatched <= 2.0,
    }
    return result


def priority_inversions(writes: list[Write]) -> dict[str, int]:
    """Jobs started while a job of the same provider with a higher priority was waiting.

    Walks the writes in the order they happened. A job waits (with its priority) from a write
    that leaves it pending or deferred until the write that starts it; the jobs one scheduler
    run starts together (same provider, same start time) are taken out of the waiting set before
    each of them is compared with the highest priority still waiting.
    """
    inversions = dict.fromkeys(PROVIDERS, 0)
    waiting: dict[str, dict[str, int]] = {p: {} for p in PROVIDERS}  # key -> priority
    status: dict[str, str] = {}
    index = 0
    while index < len(writes):
        write = writes[index]
        if write.kind != "job":
            index += 1
            continue
        provider = write.key.split("|", 1)[0]
        if write.status == "running" and status.get(write.key) != "running":
            group = [write]
            following = index + 1
            while following < len(writes):
                other = writes[following]
                if other.kind == "job" and other.status == "running" and other.started_at_ms == write.started_at_ms \
                        and other.key.split("|", 1)[0] == provider and status.get(other.key) != "running":
                    group.append(other)
                    following += 1
                else:
                    break
            for started in group:
                waiting[provider].pop(started.key, None)
                status[started.key] = "running"
            highest = max(waiting[provider].values(), default=0)
            inversions[provider] += sum(1 for started in group if started.priority < highest)
            index = following
            continue
        status[write.key] = write.status
        if write.status in QUEUED:
            waiting[provider][write.key] = write.priority
        else:
            waiting[provider].pop(write.key, None)
        index += 1
    return inversions


def refresh_waits(writes: list[Write], refreshes: list[Refresh], end: float) -> dict[str, Any]:
    """From each refresh request to its job's start and to its price being cached."""
    dispatch: list[float] = []
    cached: list[float] = []
    by_hour: dict[int, list[float]] = {}
    already_running = never_dispatched = no_price = 0
    for refresh in refreshes:
        hour = int((refresh.at - START) // HOUR)
        started_at = price_at = None
        for write in writes[refresh.seq:]:
            if write.key != refresh.key:
                continue
            if write.kind == "price":
                price_at = write.at
                break
            if write.status == "running" and started_at is None and write.started_at_ms is not None \
                    and write.started_at_ms / 1000 >= refresh.at:
                started_at = write.started_at_ms / 1000
        if refresh.running:
            already_running += 1
        elif started_at is None:
            never_dispatched += 1
            dispatch.append(end - refresh.at)  # at least this long
            by_hour.setdefault(hour, []).append(dispatch[-1])
        else:
            dispatch.append(started_at - refresh.at)
            by_hour.setdefault(hour, []).append(dispatch[-1])
        if price_at is None:
            no_price += 1
        else:
            cached.append(price_at - refresh.at)
    return {
        "count": len(refreshes), "already_running": already_running, "never_dispatched": never_dispatched,
        "no_price": no_price,
        "p50_dispatch_s": percentile(dispatch, 0.5), "p95_dispatch_s": percentile(dispatch, 0.95),
        "max_dispatch_s": max(dispatch, default=0.0),
        "p95_dispatch_s_by_hour": [percentile(by_hour.get(h, []), 0.95)
                                   for h in range(max(by_hour, default=-1) + 1)],
        "p50_cached_s": percentile(cached, 0.5), "p95_cached_s": percentile(cached, 0.95),
        "max_cached_s": max(cached, default=0.0),
    }


# -- printing ------------------------------------------------------------------------------------

def table(result: dict[str, Any]) -> list[tuple[str, ...]]:
    providers = result["providers"]
    rows: list[tuple[str, ...]] = [("", *PROVIDERS)]

    def row(label: str, key: str, digits: int = 1) -> None:
        rows.append((label, *[fmt(providers[p][key], digits) for p in PROVIDERS]))

    row("budget = provider limit (calls/hour)", "limit_per_hour")
    row("backlog jobs", "backlog")
    row("provider calls (token mints left out)", "calls")
    row("  price calls", "price_calls")
    row("  catalog lookups", "lookup_calls")
    rows.append(("budget utilisation", *[f"{providers[p]['utilisation']:.2%}" for p in PROVIDERS]))
    rows.append(("  lowest hour", *[f"{providers[p]['min_hour_utilisation'] or 0:.0%}" for p in PROVIDERS]))
    row("calls over the limit in an hour", "over_budget_calls")
    row("429s received", "throttled_429")
    row("jobs dispatched", "dispatched")
    for status in ("succeeded", "failed", "deferred", "running", "pending"):
        rows.append((f"jobs {status} at the end", *[fmt(providers[p]["jobs"][status]) for p in PROVIDERS]))
    row("priority inversions", "priority_inversions")
    return rows


def notes(result: dict[str, Any]) -> list[str]:
    waits = result["refreshes"]
    lines = [
        f"refreshes (priority 200): {waits['count']}; request to dispatch p50 {waits['p50_dispatch_s']:.0f} s, "
        f"p95 {waits['p95_dispatch_s']:.0f} s, max {waits['max_dispatch_s']:.0f} s; request to price cached "
        f"p50 {waits['p50_cached_s']:.0f} s, p95 {waits['p95_cached_s']:.0f} s, max {waits['max_cached_s']:.0f} s "
        f"({waits['already_running']} found their job running, {waits['never_dispatched']} not dispatched by the "
        f"end, {waits['no_price']} got no price)",
        "request to dispatch, p95 per hour (s): " + ", ".join(f"{p95:.0f}" for p95 in waits["p95_dispatch_s_by_hour"]),
        f"scheduler runs: {result['runs']['records']:,} recorded ({result['runs']['scheduler_invocations']:,} "
        f"invocations); items read {result['reads']:,} for {result['dispatched']:,} jobs dispatched: "
        f"{result['reads_per_dispatched']:.2f} reads per dispatched job",
        f"real time: {result['real_seconds']:.0f} s, of which {result['real_seconds_simulation']:.0f} s for the "
        f"{result['scenario']['hours']:g} virtual hours ({result['real_seconds_api_requests']:.0f} s of it in the "
        f"API requests that queued jobs)",
    ]
    lines += [f"target {name.replace('_', ' ')}: {'met' if met else 'NOT met'}"
              for name, met in result["targets"].items()]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench market")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--hours", type=float, default=Scenario.hours)
    parser.add_argument("--backlog", type=int, default=Scenario.backlog)
    parser.add_argument("--hot-share", type=float, default=Scenario.hot_share)
    parser.add_argument("--refresh-items", type=int, default=Scenario.refresh_items)
    parser.add_argument("--seed", type=int, default=Scenario.seed)
    args = parser.parse_args(argv)
    if args.hours <= 0 or args.backlog < 0 or not 0 <= args.hot_share <= 1 or not 0 <= args.refresh_items <= 100:
        parser.error("need --hours > 0, --backlog >= 0, 0 <= --hot-share <= 1, 0 <= --refresh-items <= 100")
    scenario = Scenario(hours=args.hours, backlog=args.backlog, hot_share=args.hot_share,
                        refresh_items=args.refresh_items, seed=args.seed)
    result = run_day(scenario)
    hours = f"{scenario.hours:g}"
    emit("market", result, as_json=args.json,
         title=f"market: {hours} virtual hours, {scenario.backlog:,} backlog jobs ({scenario.hot_share:.0%} hot), "
         f"{scenario.refresh_items} refreshes per provider every {scenario.refresh_every_s / 60:.0f} min, "
         f"{result['catalog_skus']} catalog skus",
         table=table(result), notes=notes(result))
    return 0
