"""samconfig.toml: every deploy profile can deploy without questions."""

from __future__ import annotations

import shlex
import tomllib

import pytest

from local.template import ROOT, Template

SAMCONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text())
REQUIRED = {name for name, spec in Template.read().raw["Parameters"].items() if "Default" not in spec}


def overrides(profile: str) -> dict[str, str]:
    text = SAMCONFIG[profile]["deploy"]["parameters"].get("parameter_overrides", "")
    return dict(item.split("=", 1) for item in shlex.split(text))


@pytest.mark.parametrize("profile", ["default", "prod"])
def test_a_profile_gives_every_parameter_without_a_default(profile):
    assert {"JwtIssuer", "JwtAudience"} == REQUIRED
    given = overrides(profile)
    assert set(given) >= REQUIRED
    assert given["JwtIssuer"].startswith("https://")
    deploy = SAMCONFIG[profile]["deploy"]["parameters"]
    assert deploy["capabilities"] and deploy["region"]
    assert deploy.get("stack_name") or SAMCONFIG[profile]["global"]["parameters"]["stack_name"]


def test_prod_deploys_a_stack_of_its_own():
    assert SAMCONFIG["prod"]["deploy"]["parameters"]["stack_name"] != SAMCONFIG["default"]["global"]["parameters"][
        "stack_name"]
