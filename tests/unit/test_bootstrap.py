"""The composition root: services are built from the settings, clock and replacements passed in,
and the edge hands each function its own, as its runner describes it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from sellerjobs import clock as clock_module
from sellerjobs import wiring
from sellerjobs.aws.delay_queue import SqsDelayQueue
from sellerjobs.bootstrap import bootstrap, overridable
from sellerjobs.clock import ManualClock, ScaledClock, SystemClock, now_ms
from sellerjobs.config import Settings
from sellerjobs.environment import Environment, running_in
from sellerjobs.jobs.retry import SyncWindowPolicy
from sellerjobs.promotions.ports import JobMessage
from sellerjobs.promotions.service import NewPromotion
from tests.unit.promotion_fakes import InMemoryJobRepository, ListQueue

PROMOTIONS = {"PROMOTION_JOBS_TABLE": "jobs", "PROMOTION_QUEUE_URL": "https://sqs.example/queue",
              "PROMOTION_FIRST_ATTEMPT_DELAY_SECONDS": "30"}


def test_services_are_built_from_the_settings_and_clock_given_with_the_replacements_used():
    clock, jobs, queue = ManualClock(), InMemoryJobRepository(), ListQueue()
    services = bootstrap(Settings(PROMOTIONS), clock, {"promotion_jobs": jobs, "promotion_queue": queue})

    service = services.promotion_service()
    (queued,) = service.enqueue("alice", [NewPromotion(listing_id="177681098666", ad_rate=Decimal("5"),
                                                       campaign_id=None)])

    assert service is services.promotion_service()  # built once
    assert service.clock is clock and service.jobs is jobs and service.queue is queue
    assert service.first_delay_s == 30.0 and isinstance(service.policy, SyncWindowPolicy)
    (message,) = queue.sent
    assert message.job_id == queued.job_id and message.not_before == now_ms(clock) + 30_000


def test_without_a_first_attempt_delay_set_each_policy_uses_its_own():
    for policy, first_s in (("sync-window", 120.0), ("exponential", 60.0)):
        settings = Settings({"PROMOTION_JOBS_TABLE": "jobs", "PROMOTION_RETRY_POLICY": policy})
        service = bootstrap(settings, ManualClock(), {"promotion_queue": ListQueue()}).promotion_service()

        assert service.first_delay_s == first_s and service.policy.first_delay_s == first_s


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_a_first_attempt_delay_that_is_not_a_non_negative_number_is_named(value):
    settings = Settings({"PROMOTION_JOBS_TABLE": "jobs", "PROMOTION_FIRST_ATTEMPT_DELAY_SECONDS": value})

    with pytest.raises(ValidationError, match="PROMOTION_FIRST_ATTEMPT_DELAY_SECONDS"):
        bootstrap(settings, ManualClock(), {"promotion_queue": ListQueue()}).promotion_service()


def test_two_bootstraps_share_nothing():
    first = bootstrap(Settings(PROMOTIONS), ManualClock())
    second = bootstrap(Settings(PROMOTIONS | {"PROMOTION_JOBS_TABLE": "other"}), ManualClock())

    assert first.promotion_jobs().table == "jobs" and second.promotion_jobs().table == "other"


def test_a_replacement_for_something_never_built_is_refused_by_name():
    with pytest.raises(ValueError, match="promotion_queues"):
        bootstrap(Settings(PROMOTIONS), ManualClock(), {"promotion_queues": ListQueue()})
    assert {"promotion_queue", "promotion_jobs", "market_worker", "ebay_http"} <= overridable()


def test_a_missing_setting_is_named_when_the_service_needing_it_is_built():
    services = bootstrap(Settings({}), ManualClock())
    assert services.settings.events.table == ""  # nothing required there

    with pytest.raises(ValidationError, match="PROMOTION_JOBS_TABLE"):
        services.promotion_service()


def test_the_edge_builds_a_function_once_with_its_runners_variables_and_clock():
    clock = ManualClock()
    playing = Environment("QueuePromotionFunction", PROMOTIONS, clock=clock)
    with running_in(playing):
        services = wiring.services()
        assert services is wiring.services()
    assert services.clock is clock and services.promotion_jobs().table == "jobs"

    # The same function redeployed with other variables: built again, never shared.
    redeployed = Environment("QueuePromotionFunction", PROMOTIONS | {"PROMOTION_JOBS_TABLE": "v2"}, clock=clock)
    with running_in(redeployed):
        assert wiring.services().promotion_jobs().table == "v2"


def test_outside_a_runner_the_edge_uses_the_process_environment_and_the_system_clock(monkeypatch):
    monkeypatch.setenv("PROMOTION_JOBS_TABLE", "from-the-process")
    wiring.services.cache_clear()  # type: ignore[attr-defined]  # as in a fresh container

    services = wiring.services()

    assert isinstance(services.clock, SystemClock)
    assert services.settings.promotions.jobs_table == "from-the-process"


def test_sqs_delays_follow_the_clock_a_sped_up_stack_runs_on():
    message = JobMessage(user_id="alice", job_id="job-1", version=0, not_before=0)
    real, fast = SqsDelayQueue[JobMessage]("url", SystemClock()), SqsDelayQueue[JobMessage]("url", ScaledClock(30))

    in_ten_minutes = int((fast.clock.now() + 600) * 1000)
    assert fast.delay_seconds(JobMessage(user_id="alice", job_id="job-1", version=0,
                                         not_before=in_ten_minutes)) == 20
    assert real.delay_seconds(JobMessage(user_id="alice", job_id="job-1", version=0,
                                         not_before=int((real.clock.now() + 600) * 1000))) in (600, 601)
    assert real.delay_seconds(message) == 0


def test_only_the_edge_reads_the_process_environment_and_no_clock_is_global():
    layer = Path(__file__).resolve().parents[2] / "shared" / "sellerjobs"
    readers = {str(path.relative_to(layer)) for path in layer.rglob("*.py")
               if "os.environ" in path.read_text() or "os.getenv" in path.read_text()}

    assert readers == {"environment.py"}
    assert not hasattr(clock_module, "install") and not hasattr(clock_module, "current")
