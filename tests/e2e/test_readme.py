"""The curl examples of the README's API reference work when pasted: each is run against a fresh
local stack, as `make up` starts it (real time, the dev users alice and bob), and answers what
the README says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.template import ROOT
from tests.e2e.conftest import RunningStack, running_stack
from tests.e2e.readme_examples import Call, parse, run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # Its own stack, in real time: the examples follow one another as a reader's would.
    with running_stack(tmp_path_factory.mktemp("readme") / "stack.log", time_scale=1.0) as stack:
        yield stack


def test_the_readme_has_examples_with_documented_answers():
    script, calls = parse((ROOT / "README.md").read_text(encoding="utf-8"))

    assert len(calls) >= 30 and "$API" in script
    assert sum(1 for call in calls if call.answers) >= 25


def test_every_curl_example_of_the_readme_answers_as_documented(fresh_stack, tmp_path):
    script, calls = parse((ROOT / "README.md").read_text(encoding="utf-8"))
    env = {"API": fresh_stack.api_url, "SANDBOX": fresh_stack.sandbox_url, "TOKEN": fresh_stack.token("alice"),
           "ADMIN_TOKEN": fresh_stack.token("ops", admin=True)}

    outcomes = run(script, calls, env, tmp_path)

    problems = [f"README line {o.call.line}: {o.call.command[:100]}\n    {p}" for o in outcomes for p in o.problems()]
    assert problems == [], "\n".join(problems)


def test_the_runner_catches_a_wrong_answer(fresh_stack, tmp_path):
    # A README that documents what the API does not answer must fail the check.
    readme = "\n".join([
        "```bash",
        'curl "$API/promotions?limit=0" -H "Authorization: Bearer $TOKEN"',
        '# 200 {"jobs":[],"count":0}',
        'curl "$API/promotions/stats" -H "Authorization: Bearer $TOKEN"',
        '# 200 {"stats":{"total":0},"success":false}',
        "```",
    ])
    script, calls = parse(readme, section=None)

    outcomes = run(script, calls, {"API": fresh_stack.api_url, "TOKEN": fresh_stack.token("carol")}, tmp_path)

    assert [c.line for c in calls] == [2, 4]
    assert outcomes[0].problems()[0].startswith("answered 400, the README says 200")
    assert "no field 'success' in the answer" in outcomes[1].problems()


def test_an_answer_documents_every_command_since_the_last_one():
    _, calls = parse(section=None, readme="\n".join([
        "```bash",
        'curl "$API/a"',
        'X=$(curl -s -X POST "$API/b" \\',
        "  -d '{}' | jq -r .id)",
        '# 202 {"ok":true,',
        '#      "id":"…"}',
        '# or 409 {"ok":false}',
        'curl "$API/c"',
        "```",
    ]))

    assert [len(c.answers) for c in calls] == [2, 2, 0]
    assert [a.status for a in calls[0].answers] == [202, 409]
    assert calls[0].answers[0].text == '{"ok":true, "id":"…"}'
    assert calls[1].command.endswith("| jq -r .id)")
    assert isinstance(calls[2], Call)
