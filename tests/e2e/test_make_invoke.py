"""`make invoke` runs every sample event in events/ through its function, like `sam local invoke -e`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from local.template import ROOT, Template
from tests.integration.test_event_files import function_for

pytestmark = pytest.mark.e2e

EVENTS = sorted((ROOT / "events").glob("*.json"))


@pytest.mark.parametrize("event_file", EVENTS, ids=lambda p: p.stem)
def test_make_invoke_runs_the_event(event_file: Path):
    function = function_for(event_file, Template.read().functions())

    done = subprocess.run(["make", "--no-print-directory", "invoke", f"FN={function.logical_id}",
                           f"EVENT=events/{event_file.name}"], cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout[done.stdout.index("\n{") + 1:] if not done.stdout.startswith("{") else done.stdout)
    if "statusCode" in result:
        assert result["statusCode"] < 500
    else:  # queue and schedule consumers always log a summary, prefixed with the function's name
        assert function.logical_id in done.stderr


def test_make_invoke_names_the_functions_when_given_an_unknown_one():
    done = subprocess.run(["make", "--no-print-directory", "invoke", "FN=NoSuchFunction",
                           "EVENT=events/promotion_sweeper.schedule.json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "PromotionWorkerFunction" in done.stdout + done.stderr
