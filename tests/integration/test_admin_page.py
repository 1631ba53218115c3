"""GET /admin: the dashboard page is static, public, data-free HTML behind a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from functions.admin_page import app as admin_page
from local.events import http_event

SCRIPT = re.compile(r"<script(?:\s[^>]*)?>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
STYLE = re.compile(r"<style(?:\s[^>]*)?>(.*?)</style\s*>", re.DOTALL | re.IGNORECASE)


@dataclass
class FakeContext:
    function_name: str = "AdminPageFunction"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:AdminPageFunction"
    aws_request_id: str = field(default="3f2a3c55-0000-4000-8000-000000000001")


def get(path: str = "/admin", claims: dict[str, str] | None = None, **kwargs) -> dict[str, Any]:
    context: Any = FakeContext()  # the attributes Powertools reads of a LambdaContext
    return admin_page.lambda_handler(http_event("GET", path, claims=claims, **kwargs), context)


def headers_of(result: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in result["headers"].items()}


def csp_of(result: dict[str, Any]) -> dict[str, list[str]]:
    directives = {}
    for part in headers_of(result)["content-security-policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


@pytest.fixture
def page() -> dict[str, Any]:
    return get()


def test_the_page_is_served_as_html_without_any_claims(page):
    assert page["statusCode"] == 200
    assert headers_of(page)["content-type"] == "text/html; charset=utf-8"
    assert page.get("isBase64Encoded") is False
    assert page["body"].lstrip().lower().startswith("<!doctype html>")
    assert 'id="promotions"' in page["body"]


def test_the_page_has_the_market_data_pane(page):
    html = page["body"]
    assert re.search(r'<section id="market" [^>]*data-pane-title="Market data"', html)
    assert "dashboard.register(marketPane());" in html
    for call in ('"/market/overview"', '"/market/scheduler/run"', '"/market/jobs/reset-failed"', '"/market/refresh"',
                 '"/market/jobs?status="'):
        assert call in html, call
    for control in ("market-run-scheduler", "market-reset-failed", "market-refresh-form", "market-admin-only"):
        assert f'data-testid="{control}"' in html, control
    # Budgets, counts, runs and jobs come from the API at run time: the tables start empty.
    for body in ("market-counts-body", "market-runs-body", "market-batches-body", "market-jobs-body"):
        assert re.search(rf'<tbody id="{body}"[^>]*></tbody>', html), body
    assert re.search(r'<ul class="budgets" id="market-budgets"[^>]*></ul>', html)
    assert not re.search(r"<meter\s", SCRIPT.sub("", html)), "the budget bars are built from the overview, not served"

def test_security_headers(page):
    headers = headers_of(page)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"


def test_the_csp_is_strict(page):
    csp = csp_of(page)
    assert csp["default-src"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'none'"]
    assert csp["require-trusted-types-for"] == ["'script'"]
    for directive in ("script-src", "style-src"):
        assert csp[directive], directive
        assert all(source.startswith("'sha256-") for source in csp[directive]), csp[directive]
    header = headers_of(page)["content-security-policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header and "*" not in header


def test_the_csp_hashes_are_those_of_the_served_inline_script_and_style(page):
    html = page["body"]
    scripts, styles = SCRIPT.findall(html), STYLE.findall(html)
    assert len(scripts) == 1 and len(styles) == 1
    csp = csp_of(page)
    assert csp["script-src"] == [sha256_source(s) for s in scripts]
    assert csp["style-src"] == [sha256_source(s) for s in styles]


def test_every_inline_block_of_the_page_is_hashed_in_the_csp(page):
    html = page["body"]
    # Each opening tag is one block the hashes cover: nothing (e.g. "</script>" inside a string
    # of the script) cuts a block short or hides one from the policy.
    assert len(re.findall(r"<script\b", html, re.IGNORECASE)) == len(SCRIPT.findall(html))
    assert len(re.findall(r"<style\b", html, re.IGNORECASE)) == len(STYLE.findall(html))
    assert html.lower().count("</script") == 1 and html.lower().count("</style") == 1
    csp = csp_of(page)
    assert set(csp["script-src"]) == {sha256_source(block) for block in SCRIPT.findall(html)}
    assert set(csp["style-src"]) == {sha256_source(block) for block in STYLE.findall(html)}

def test_the_page_needs_nothing_the_csp_forbids(page):
    html = page["body"]
    # Inline event handlers, style attributes, external scripts, stylesheets or frames would all be blocked.
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)
    assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE)
    assert not re.search(r"<script[^>]*\ssrc\s*=", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]*rel=\"?stylesheet", html, re.IGNORECASE)
    assert not re.search(r"<(iframe|object|embed|base)\b", html, re.IGNORECASE)
    assert not re.search(r"https?://", html), "no third-party or absolute URLs (no CDN)"
    # Text reaches the DOM through textContent only.
    assert ".innerHTML" not in html and "outerHTML" not in html and "insertAdjacentHTML" not in html
    assert "document.write" not in html and "eval(" not in html


def test_the_page_carries_no_token_or_data(page):
    html = page["body"]
    assert not re.search(r"eyJ[A-Za-z0-9_-]{5,}", html), "no JWT in the page"
    assert "Bearer ey" not in html
    # Jobs only ever come from the API at run time: no row is rendered on the server.
    assert "data-job-id=" not in html
    assert re.search(r'<tbody id="jobs-body"[^>]*></tbody>', html)
    assert 'data-testid="current-user"></code>' in html


def test_the_page_is_the_same_for_every_caller():
    anonymous = get()
    signed_in = get(claims={"sub": "alice", "iss": "test", "aud": "sellerjobs-local"})
    assert anonymous["statusCode"] == signed_in["statusCode"] == 200
    assert anonymous["body"] == signed_in["body"]
    assert "alice" not in signed_in["body"]


def test_query_and_fragment_like_input_is_not_reflected():
    result = get(query="token=eyJhbGciOiJIUzI1NiJ9.e30.sig&next=%3Cscript%3E")
    assert result["statusCode"] == 200
    assert "eyJhbGciOiJIUzI1NiJ9" not in result["body"]
    assert "%3Cscript%3E" not in result["body"]


@pytest.mark.parametrize("path", ["/admin/unknown", "/admin/admin.js", "/admin/../promotions", "/administrator"])
def test_other_paths_are_not_found(path):
    result = get(path)
    assert result["statusCode"] == 404
    assert "text/html" not in headers_of(result).get("content-type", "")


def test_the_page_is_read_once_per_container(monkeypatch):
    admin_page.page.cache_clear()
    reads = []
    original = type(admin_page.PAGE_FILE).read_text

    def counting_read_text(self, *args, **kwargs):
        reads.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(admin_page.PAGE_FILE), "read_text", counting_read_text)
    try:
        get()
        get()
    finally:
        admin_page.page.cache_clear()
    assert reads == [admin_page.PAGE_FILE]


def test_the_policy_hashes_every_inline_block_and_falls_back_to_none():
    html = "<style>a{}</style><script>1</script><script type=module>2</script>"
    csp = admin_page.content_security_policy(html)
    assert f"script-src {sha256_source('1')} {sha256_source('2')};" in csp
    assert f"style-src {sha256_source('a{}')};" in csp
    assert "script-src 'none'" in admin_page.content_security_policy("<p>static</p>")
