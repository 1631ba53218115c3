"""The capacity model of the simulation: mappings, concurrency, batching, timeouts, fair queues."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from local.capacity import CostModel, SimulatedTimeout, VirtualClock
from local.event_loop import NOISY_MIN_IN_FLIGHT, EventLoop, QueueSpec
from local.template import QueueSource, Schedule

T0 = 1_767_225_600.0

Handler = Callable[[dict[str, Any]], Any]


def make_loop(clock: VirtualClock, handler: Handler, *, batch_size: int = 1, window_s: int = 0,
              max_concurrency: int = 2, timeout_s: float = 60.0, visibility_s: float = 30.0,
              max_receives: int | None = 3, schedules: list[Schedule] | None = None,
              costs: CostModel | None = None, on_schedule: Handler | None = None) -> EventLoop:
    source = QueueSource(function="Worker", queue="Queue", batch_size=batch_size, window_s=window_s,
                         max_concurrency=max_concurrency, report_failures=True)
    handlers = {"Worker": handler, "Ticker": on_schedule or (lambda event: None)}
    return EventLoop(clock=clock, queue_specs={"Queue": QueueSpec(source, "arn:queue", visibility_s, max_receives)},
                     schedules=schedules or [], timeouts={"Worker": timeout_s, "Ticker": 60.0},
                     runner=lambda function, event, environment: handlers[function](event),
                     costs=costs or CostModel.free())


def bodies(event: dict[str, Any]) -> list[str]:
    return [record["body"] for record in event["Records"]]


def test_no_more_invocations_than_the_mapping_allows_the_rest_waits():
    clock = VirtualClock(T0)
    started: list[tuple[float, list[str]]] = []

    def work(event: dict[str, Any]) -> None:
        started.append((clock.now() - T0, bodies(event)))
        clock.sleep(10)  # each invocation takes ten seconds

    loop = make_loop(clock, work, max_concurrency=2)
    for i in range(5):
        loop.enqueue("Queue", f"m{i}", message_id=f"id{i}", visible_at=T0)
    loop.drain()
    assert [at for at, _ in started] == [0, 0, 10, 10, 20]
    assert loop.queues["Queue"].peak_running == 2
    assert clock.now() == pytest.approx(T0 + 30)  # the last one finished at +30 s


def test_a_message_is_invisible_while_its_invocation_runs():
    clock = VirtualClock(T0)
    seen: list[str] = []

    def work(event: dict[str, Any]) -> None:
        seen.extend(bodies(event))
        clock.sleep(20)

    loop = make_loop(clock, work, max_concurrency=5)
    loop.enqueue("Queue", "only", message_id="id", visible_at=T0)
    loop.step(T0 + 1)
    assert loop.in_flight("Queue") == 1 and loop.waiting("Queue") == 0
    loop.run_until(T0 + 19)
    assert seen == ["only"] and loop.in_flight("Queue") == 1
    loop.run_until(T0 + 21)
    assert loop.in_flight("Queue") == 0 and seen == ["only"]


def test_the_batching_window_gathers_messages_until_the_batch_is_full_or_the_window_ends():
    clock = VirtualClock(T0)
    batches: list[tuple[float, int]] = []
    loop = make_loop(clock, lambda event: batches.append((clock.now() - T0, len(event["Records"]))),
                     batch_size=10, window_s=5)
    for i in range(3):
        loop.enqueue("Queue", f"a{i}", message_id=f"a{i}", visible_at=T0 + i)
    loop.drain()
    assert batches == [(5, 3)]  # the window of the first message closed with three in hand

    for i in range(10):
        loop.enqueue("Queue", f"b{i}", message_id=f"b{i}", visible_at=T0 + 10 + i * 0.1)
    loop.drain()
    assert batches[1][1] == 10 and batches[1][0] == pytest.approx(10.9)  # full before its window ended


def test_an_invocation_past_its_timeout_is_stopped_and_its_messages_return_after_the_visibility_timeout():
    clock = VirtualClock(T0)
    finished: list[float] = []
    attempts: list[float] = []

    def slow(event: dict[str, Any]) -> None:
        attempts.append(clock.now() - T0)
        clock.sleep(5)
        finished.append(clock.now())  # never reached: the clock read past the timeout stops it

    loop = make_loop(clock, slow, timeout_s=3, visibility_s=30, max_receives=2)
    loop.enqueue("Queue", "m", message_id="m", visible_at=T0)
    loop.drain()
    assert finished == []
    assert attempts == [0, 30]  # received at 0, back after its visibility timeout
    assert [log.timed_out for log in loop.invocations] == [True, True]
    assert [log.duration_s for log in loop.invocations] == [3, 3]  # billed up to the timeout
    assert loop.dead_letters == {"Queue": ["m"]}  # after maxReceiveCount


def test_a_timeout_in_the_handler_thread_happens_at_its_next_look_at_the_clock():
    clock = VirtualClock(T0)
    with clock.span("Worker", deadline_s=1.0):
        # A provider's latency, charged from the thread that answers the HTTP call: only the
        # invocation's own thread is stopped.
        sandbox = threading.Thread(target=clock.spend, args=(2.0,))
        sandbox.start()
        sandbox.join()
        with pytest.raises(SimulatedTimeout):
            clock.now()


def test_reported_failures_come_back_after_the_visibility_timeout():
    clock = VirtualClock(T0)
    deliveries: list[tuple[float, int]] = []

    def fail_once(event: dict[str, Any]) -> dict[str, Any]:
        record = event["Records"][0]
        deliveries.append((clock.now() - T0, int(record["attributes"]["ApproximateReceiveCount"])))
        failures = [{"itemIdentifier": record["messageId"]}] if len(deliveries) == 1 else []
        return {"batchItemFailures": failures}

    loop = make_loop(clock, fail_once, visibility_s=40)
    loop.enqueue("Queue", "m", message_id="m", visible_at=T0)
    loop.drain()
    assert deliveries == [(0, 1), (40, 2)]


def test_fair_queue_delivers_quiet_groups_first_while_one_group_holds_many_messages_in_flight():
    clock = VirtualClock(T0)
    order: list[str] = []

    def work(event: dict[str, Any]) -> None:
        order.extend(bodies(event))
        clock.sleep(100)

    loop = make_loop(clock, work, batch_size=NOISY_MIN_IN_FLIGHT, max_concurrency=3)
    for i in range(3 * NOISY_MIN_IN_FLIGHT):
        loop.enqueue("Queue", f"flood-{i}", message_id=f"f{i}", group="flooder", visible_at=T0 - 1)
    for i in range(3):
        loop.enqueue("Queue", f"quiet-{i}", message_id=f"q{i}", group=f"seller-{i}", visible_at=T0)
    loop.run_until(T0 + 2)
    # The first batch was the flooder's oldest messages; once it held that many in flight, the
    # quiet sellers' newer messages went ahead of its older ones.
    second = order[NOISY_MIN_IN_FLIGHT:NOISY_MIN_IN_FLIGHT + 3]
    assert all(body.startswith("flood") for body in order[:NOISY_MIN_IN_FLIGHT])
    assert second == ["quiet-0", "quiet-1", "quiet-2"]


def test_without_groups_delivery_is_oldest_first():
    clock = VirtualClock(T0)
    order: list[str] = []
    loop = make_loop(clock, lambda event: order.extend(bodies(event)), batch_size=5, max_concurrency=1)
    for i in range(5):
        loop.enqueue("Queue", f"m{i}", message_id=f"m{i}", visible_at=T0 + 5 - i)
    loop.drain()
    assert order == ["m4", "m3", "m2", "m1", "m0"]


def test_concurrent_invocations_start_cold_and_later_ones_reuse_warm_environments():
    clock = VirtualClock(T0)
    costs = CostModel(cold_start_s=1.0, idle_expiry_s=600)
    loop = make_loop(clock, lambda event: clock.sleep(2), max_concurrency=2, costs=costs)
    for i in range(2):
        loop.enqueue("Queue", f"m{i}", message_id=f"m{i}", visible_at=T0)
    loop.enqueue("Queue", "later", message_id="later", visible_at=T0 + 60)
    loop.enqueue("Queue", "much-later", message_id="much-later", visible_at=T0 + 3600)
    loop.drain()
    assert [log.cold for log in loop.invocations] == [True, True, False, True]  # the last: after idle expiry
    assert loop.invocations[0].duration_s == pytest.approx(1.0 + 2 + costs.per_invocation_s + costs.per_record_s)
    assert loop.environments.peak["Worker"] == 2


def test_schedules_fire_every_minute_whatever_is_running():
    clock = VirtualClock(T0)
    ticks: list[float] = []
    loop = make_loop(clock, lambda event: clock.sleep(300), max_concurrency=1, timeout_s=900,
                     schedules=[Schedule(function="Ticker", name="EveryMinute", every_s=60)],
                     on_schedule=lambda event: ticks.append(clock.now() - T0))
    loop.enqueue("Queue", "long", message_id="long", visible_at=T0)
    loop.run_until(T0 + 200)
    assert ticks == [60, 120, 180]
    assert loop.in_flight("Queue") == 1  # the five-minute invocation still runs meanwhile


def test_time_spent_outside_an_invocation_does_not_move_the_event_loop():
    clock = VirtualClock(T0)
    clock.spend(5)  # e.g. the sandbox answering a test's own request
    assert clock.now() == T0
    with clock.span("Worker", deadline_s=60) as span:
        clock.sleep(2)
        assert clock.now() == T0 + 2
    assert span.elapsed == 2 and clock.now() == T0


def test_overlapping_invocations_act_in_the_order_of_virtual_time():
    clock = VirtualClock(T0)
    happened: list[str] = []

    def work(event: dict[str, Any]) -> None:
        (body,) = bodies(event)
        happened.append(f"{body} starts at {clock.now() - T0:g}")
        clock.sleep(5 if body == "A" else 10)
        happened.append(f"{body} writes at {clock.now() - T0:g}")

    loop = make_loop(clock, work, max_concurrency=2)
    loop.enqueue("Queue", "A", message_id="a", visible_at=T0)
    loop.enqueue("Queue", "B", message_id="b", visible_at=T0 + 1)
    loop.drain()

    # B started while A ran, and A's write at +5 s came between B's start and B's write: what each
    # did is applied when it happened, not when the invocation began.
    assert happened == ["A starts at 0", "B starts at 1", "A writes at 5", "B writes at 11"]


def test_an_invocation_still_running_when_the_run_ends_is_stopped():
    clock = VirtualClock(T0)
    finished: list[bool] = []

    def slow(event: dict[str, Any]) -> None:
        clock.sleep(30)
        finished.append(True)

    loop = make_loop(clock, slow)
    loop.enqueue("Queue", "m", message_id="m", visible_at=T0)
    loop.run_until(T0 + 10)
    loop.close()

    assert finished == [] and loop.in_flight("Queue") == 1
