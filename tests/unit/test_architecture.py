"""Domains own their ports: the import contract in pyproject.toml holds, and it would catch a breach.

The contract runs in a process of its own (as `make lint` runs it), so the import graph is built
from the files on disk rather than from whatever this test process has imported already.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local.template import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(shared: Path) -> subprocess.CompletedProcess[str]:
    """Check the contract of pyproject.toml against the ``sellerjobs`` package found in ``shared``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=shared, env={**os.environ, "PYTHONPATH": str(shared)},
        capture_output=True, text=True, timeout=120, check=False)


def copy_of_the_layer(tmp_path: Path) -> Path:
    shared = tmp_path / "shared"
    shutil.copytree(ROOT / "shared" / "sellerjobs", shared / "sellerjobs",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return shared


def test_domain_code_imports_no_adapter():
    result = lint_imports(ROOT / "shared")

    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "forbidden"), [
    ("promotions/ports.py", "from sellerjobs.ebay.errors import parse_errors", "sellerjobs.ebay"),
    ("market/worker.py", "from sellerjobs.providers.http import json_body", "sellerjobs.providers"),
    ("categories/service.py", "from sellerjobs.aws import clients", "sellerjobs.aws"),
    ("jobs/retry.py", "import boto3", "boto3"),
    ("webhooks/delivery.py", "import httpx", "httpx"),
    # Indirect: a domain module importing a module that imports an adapter breaks it too.
    ("events/model.py", "from sellerjobs import wiring", "sellerjobs.aws"),
])
def test_a_domain_module_importing_an_adapter_breaks_the_contract(tmp_path, module, line, forbidden):
    # Given a copy of the layer in which one domain module imports an adapter
    shared = copy_of_the_layer(tmp_path)
    path = shared / "sellerjobs" / module
    path.write_text(path.read_text() + f"\n{line}  # the breach under test\n")

    # When the contract is checked against that copy
    result = lint_imports(shared)

    # Then it fails and names the import
    assert result.returncode != 0, result.stdout
    assert "1 broken" in result.stdout
    package = "sellerjobs." + module.split("/")[0]
    assert f"{package} is not allowed to import {forbidden}" in result.stdout
