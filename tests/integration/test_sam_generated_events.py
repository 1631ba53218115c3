"""Events as `sam local generate-event` writes them (with our payloads) are accepted by the handlers.

Guards against handlers that only work with the events this project builds itself: SAM's
samples differ in the details (base64 bodies, "$default" route keys, extra headers, cookies).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from local.template import ROOT

SAM = ROOT / ".venv-sam" / "bin" / "sam"
USER = "user123"


def generate(*args: str) -> dict[str, Any]:
    if not SAM.exists():
        pytest.fail("aws-sam-cli is missing: `make test` installs it into .venv-sam")
    out = subprocess.run([str(SAM), "local", "generate-event", *args], check=True, capture_output=True, text=True,
                         env={"SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"}, cwd=ROOT)
    return json.loads(out.stdout)


def http(method: str, path: str, body: object = None, path_parameters: dict[str, str] | None = None) -> dict[str, Any]:
    args = ["apigateway", "http-api-proxy", "--method", method, "--path", path.lstrip("/")]
    if body is not None:
        args += ["--body", json.dumps(body)]
    event = generate(*args)
    event["requestContext"]["authorizer"]["jwt"]["claims"] = {"sub": USER, "iss": "https://issuer.example"}
    event["pathParameters"] = path_parameters or {}
    event["queryStringParameters"] = {}
    event["rawQueryString"] = ""
    if body is None:
        event.pop("body", None)
        event["isBase64Encoded"] = False
    return event


@pytest.fixture
def job_id(system):
    system.connect(USER)
    system.publish(USER, "177681098666")
    response = system.call("POST", "/promotions", user=USER, body={"listingId": "177681098666", "adRate": 5})
    return response.json()["jobId"]


def test_http_api_events_from_sam_reach_every_route(system, job_id):
    cases = [
        ("QueuePromotionFunction", http("POST", "/promotions", {"listingId": "177681098667", "adRate": 5}), 202),
        ("PromotionStatusFunction", http("GET", "/promotions/stats"), 200),
        ("PromotionStatusFunction", http("GET", f"/promotions/{job_id}", path_parameters={"jobId": job_id}), 200),
        ("EbayCredentialsFunction", http("PUT", "/ebay/credentials", {"refreshToken": "x" * 24}), 200),
        ("ManagePromotionFunction", http("DELETE", f"/promotions/{job_id}", path_parameters={"jobId": job_id}), 200),
    ]
    for function, event, status in cases:
        assert event["isBase64Encoded"] is ("body" in event)
        result = system.invoke(function, event)
        assert result["statusCode"] == status, (function, result)


def test_an_sqs_event_from_sam_runs_the_worker(system, job_id):
    job = system.job(USER, job_id)
    body = json.dumps({"userId": USER, "jobId": job_id, "version": 0, "notBefore": job["nextRetryAt"]})
    # SAM pastes --body into its JSON template unescaped, so a JSON body goes in afterwards.
    event = generate("sqs", "receive-message", "--queue-name", "sellerjobs-PromotionQueue", "--body", "placeholder")
    event["Records"][0]["body"] = body
    system.clock.advance(120)

    result = system.invoke("PromotionWorkerFunction", event)

    assert result == {"batchItemFailures": []}
    assert system.job(USER, job_id)["status"] == "succeeded"


def test_a_scheduled_event_from_sam_runs_the_sweeper(system):
    event = generate("cloudwatch", "scheduled-event")
    result = system.invoke("PromotionSweeperFunction", event)
    assert result == {"overdue": 0, "requeued": 0, "unsent": 0}
