"""The in-process simulation runs each function with its own template environment, as Lambda
does: a handler reading a variable its entry does not give fails there too, although another
function of the same process has it."""

from __future__ import annotations

from local.capacity import VirtualClock
from local.template import Template
from local.virtual import virtual_stack
from tests.integration.conftest import START


def test_in_the_simulation_a_handler_reading_a_variable_its_template_entry_does_not_give_fails():
    template = Template.read()
    variables = template.raw["Resources"]["PromotionStatusFunction"]["Properties"]["Environment"]["Variables"]
    del variables["PROMOTION_JOBS_TABLE"]
    assert any("PROMOTION_JOBS_TABLE" in f.environment for f in template.functions().values())

    with virtual_stack(VirtualClock(START), template=template) as stack:
        answer = stack.call("GET", "/promotions/stats", "alice")
        other = stack.call("GET", "/category-fetches", "alice")
        # Another function's entry has it: bootstrapped for that one, the services find the table.
        assert stack.services("QueuePromotionFunction").promotion_jobs().table

    assert answer.status == 500
    assert other.status == 200, other.body


def test_each_function_gets_its_template_entry_and_the_overrides_meant_for_it():
    with virtual_stack(VirtualClock(START), env={"PROMOTION_RETRY_SEED": "7",
                                                 "MARKET_SELLER_SHARE": "0.3"}) as stack:
        for name, function in stack.stack.functions().items():
            given = stack.environments[name].variables
            # Nothing another function's entry has and this one's lacks.
            templated_elsewhere = {k for f in stack.stack.functions().values() for k in f.environment}
            assert {k for k in given if k in templated_elsewhere} <= set(function.environment), name
        # A variable some entries give goes only to those; a knob no entry gives goes to all.
        slots = {name for name, env in stack.environments.items() if "MARKET_SELLER_SHARE" in env.variables}
        assert slots == {name for name, f in stack.stack.functions().items()
                         if "MARKET_SELLER_SHARE" in f.environment}
        assert slots and len(slots) < len(stack.environments)
        assert {stack.environments[name].variables["MARKET_SELLER_SHARE"] for name in slots} == {"0.3"}
        assert "PROMOTION_RETRY_SEED" in stack.environments["CategoryFetchWorkerFunction"].variables
        assert all(env.clock is stack.clock for env in stack.environments.values())

        stack.reconfigure(MARKET_SELLER_SHARE="0.5")
        assert {env.variables.get("MARKET_SELLER_SHARE") for name, env in stack.environments.items()
                if name in slots} == {"0.5"}
