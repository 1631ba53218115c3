"""Every sample event in events/ runs its function successfully (what `sam local invoke -e` would do)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.lambda_runtime import invoke
from local.template import Function

EVENTS = Path(__file__).resolve().parents[2] / "events"
JOB = "177681098666_1767225600000"
USER = "user123"


def function_for(event_file: Path, functions: dict[str, Function]) -> Function:
    """events/<function dir>.<case>.json belongs to the function whose CodeUri is functions/<dir>/."""
    directory = event_file.name.split(".", 1)[0]
    matches = [f for f in functions.values() if f.code_uri.strip("/") == f"functions/{directory}"]
    assert len(matches) == 1, f"no function for {event_file.name}"
    return matches[0]


def queue_job(system):
    response = system.call("POST", "/promotions", user=USER, body={"listingId": "177681098666", "adRate": 5})
    assert response.json()["jobId"] == JOB


def failed_job(system):
    system.connect(USER)
    system.publish(USER, "177681098666", never_syncs=True)
    queue_job(system)
    system.sim.drain()
    assert system.job(USER, JOB)["status"] == "failed"


def due_job(system):
    system.connect(USER)
    system.publish(USER, "177681098666")
    queue_job(system)
    system.clock.advance(60)


SETUP = {
    "promotion_status.job": queue_job,
    "promotion_status.get": queue_job,
    "manage_promotion.cancel": queue_job,
    "manage_promotion.retry": failed_job,
    "promotion_worker.sqs": due_job,
}


@pytest.mark.parametrize("event_file", sorted(EVENTS.glob("*.json")), ids=lambda p: p.stem)
def test_event_file_runs_its_function(system, event_file):
    function = function_for(event_file, system.stack.functions())
    SETUP.get(event_file.stem, lambda _: None)(system)
    event = json.loads(event_file.read_text())

    result = invoke(function, event)

    if "requestContext" in event:
        assert 200 <= result["statusCode"] < 300, result
        assert result["headers"]["Content-Type"].startswith(("application/json", "text/html"))
    elif "Records" in event:
        assert result == {"batchItemFailures": []}
        assert system.job(USER, JOB)["status"] == "succeeded"
    else:
        assert result["overdue"] == 0


def test_every_function_has_at_least_one_event_file(system):
    covered = {function_for(p, system.stack.functions()).logical_id for p in EVENTS.glob("*.json")}
    assert covered == set(system.stack.functions())
