"""What the browser tests share: where Chromium is, how it is launched, and unique users.

The ``browser`` and ``page`` fixtures live in conftest.py; a browser test module starts with
``require_browser()`` so that it is skipped, naming what is missing, on a machine without Chromium
or Playwright.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright's own download is not used
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
UI_TIMEOUT_MS = 15_000  # three auto-refresh cycles of 5 s


def require_browser() -> None:
    """Skip the calling test module when there is no browser to drive."""
    if not CHROMIUM.exists():
        pytest.skip(f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
                    allow_module_level=True)
    pytest.importorskip("playwright.sync_api", reason="the browser tests need the playwright package")


def unique_user() -> str:
    return f"browser-{uuid.uuid4().hex[:12]}"
