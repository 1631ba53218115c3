"""Cancelling unfinished jobs and re-queueing failed ones."""

from __future__ import annotations

LISTING = "177681098666"


def queue(system, listing=LISTING, user="alice"):
    system.ensure_connected(user)
    return system.call("POST", "/promotions", user=user, body={"listingId": listing, "adRate": 5}).json()["jobId"]


def fail_job(system, listing=LISTING):
    system.ensure_connected("alice")
    system.publish("alice", listing, never_syncs=True)
    job_id = queue(system, listing)
    system.sim.drain(max_seconds=3600)
    assert system.job("alice", job_id)["status"] == "failed"
    return job_id


def test_cancel_stops_a_pending_job_and_frees_the_listing(system):
    job_id = queue(system)

    response = system.call("DELETE", f"/promotions/{job_id}")

    assert response.status == 200
    assert response.json()["job"]["status"] == "cancelled"
    assert system.stats("alice")["cancelled"] == 1
    system.sim.drain(max_seconds=600)  # its queued message arrives and is dropped
    assert system.job("alice", job_id)["status"] == "cancelled"
    assert system.sandbox.calls == []
    system.clock.advance(1)
    assert queue(system) != job_id  # the listing can be queued again


def test_cancelling_a_finished_job_conflicts(system):
    job_id = queue(system)
    system.call("DELETE", f"/promotions/{job_id}")
    again = system.call("DELETE", f"/promotions/{job_id}")
    assert again.status == 409
    assert "cancelled" in again.json()["error"]
    assert system.stats("alice")["cancelled"] == 1


def test_another_users_job_cannot_be_cancelled_or_retried(system):
    job_id = queue(system, user="alice")
    assert system.call("DELETE", f"/promotions/{job_id}", user="mallory").status == 404
    assert system.call("POST", f"/promotions/{job_id}/retry", user="mallory").status == 404
    assert system.job("alice", job_id)["status"] == "pending"


def test_retry_requeues_a_failed_job_which_can_then_succeed(system):
    job_id = fail_job(system)
    system.publish("alice", "177681098667", sync_delay_s=0)  # unrelated listing keeps the sandbox honest
    # The seller fixes the listing on eBay; it is promotable now.
    system.sandbox.publish_listing("alice", LISTING, sync_delay_s=0)

    response = system.call("POST", f"/promotions/{job_id}/retry")

    assert response.status == 202
    job = response.json()["job"]
    assert job["status"] == "pending" and job["attempts"] == 0 and job["lastError"] is None
    assert system.stats("alice")["failed"] == 0
    system.sim.drain(max_seconds=3600)
    assert system.job("alice", job_id)["status"] == "succeeded"
    assert system.stats("alice") | {"total": 0} == {"total": 0, "ready": 0, "pending": 0, "succeeded": 1,
                                                    "failed": 0, "cancelled": 0}


def test_retry_of_a_job_that_did_not_fail_conflicts(system):
    job_id = queue(system)
    response = system.call("POST", f"/promotions/{job_id}/retry")
    assert response.status == 409
    assert system.queued_messages() == 1


def test_retry_conflicts_while_another_job_promotes_the_listing(system):
    failed = fail_job(system)
    system.clock.advance(1)
    active = queue(system)
    assert active != failed

    response = system.call("POST", f"/promotions/{failed}/retry")

    assert response.status == 409
    assert active in response.json()["error"]
    assert system.job("alice", failed)["status"] == "failed"
    assert system.stats("alice")["failed"] == 1
