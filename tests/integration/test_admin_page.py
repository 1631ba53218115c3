"""GET /admin and its assets: a static, public, data-free page of ES modules behind a strict CSP."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from functions.admin_page import app as admin_page
from local.events import http_event
from local.http_api import HttpApi
from local.template import Template

ASSETS_DIR = Path(admin_page.__file__).parent / "static" / "assets"
ASSET_URL = re.compile(r"^/admin/assets/([a-z0-9-]+\.(?:js|css))$")
# Static imports and re-exports of ES modules: `import { a } from "./x.js";`, `import "./x.js";`.
IMPORT = re.compile(r"""^\s*(?:import\s*["']([^"']+)["']|(?:import|export)\s[^;'"]*?\bfrom\s*["']([^"']+)["'])\s*;""",
                    re.MULTILINE)
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"


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


def tags(html: str, name: str) -> list[dict[str, str]]:
    """The attributes of every <name ...> tag (values unquoted; a bare attribute is "")."""
    found = []
    for attrs in re.findall(rf"<{name}\b([^>]*)>", html, re.IGNORECASE):
        found.append({k.lower(): v for k, _, v in re.findall(r'([\w-]+)(=(?:"([^"]*)"))?', attrs)})
    return found


def entry_points(html: str) -> list[str]:
    """The asset URLs the page itself loads: its scripts and stylesheets."""
    scripts = [t["src"] for t in tags(html, "script")]
    sheets = [t["href"] for t in tags(html, "link") if t.get("rel") == "stylesheet"]
    return scripts + sheets


def loaded_assets() -> dict[str, dict[str, Any]]:
    """Every asset the browser fetches for the page, following module imports, as served."""
    served: dict[str, dict[str, Any]] = {}
    pending = entry_points(get()["body"])
    while pending:
        url = pending.pop()
        name = ASSET_URL.match(url)
        assert name, f"{url} is not an asset URL of the page"
        if url in served:
            continue
        served[url] = get(url)
        if url.endswith(".js"):
            for bare, named in IMPORT.findall(served[url]["body"]):
                specifier = bare or named
                assert specifier.startswith("./"), f"{url} imports {specifier}: only the page's own modules"
                pending.append("/admin/assets/" + specifier.removeprefix("./"))
    return served


@pytest.fixture
def page() -> dict[str, Any]:
    return get()


@pytest.fixture(scope="module")
def assets() -> dict[str, dict[str, Any]]:
    return loaded_assets()


# ---- the page -------------------------------------------------------------------------------

def test_the_page_is_served_as_html_without_any_claims(page):
    assert page["statusCode"] == 200
    assert headers_of(page)["content-type"] == "text/html; charset=utf-8"
    assert page.get("isBase64Encoded") is False
    assert page["body"].lstrip().lower().startswith("<!doctype html>")
    assert 'id="promotions"' in page["body"]


def test_the_page_loads_one_module_and_one_stylesheet_from_this_origin(page):
    scripts = tags(page["body"], "script")
    assert scripts == [{"type": "module", "src": "/admin/assets/main.js"}]
    sheets = [t for t in tags(page["body"], "link") if t.get("rel") == "stylesheet"]
    assert [t["href"] for t in sheets] == ["/admin/assets/dashboard.css"]


def test_no_inline_script_or_style_remains(page):
    html = page["body"]
    assert html.lower().count("<script") == html.lower().count("</script") == 1
    assert re.search(r"<script\b[^>]*>\s*</script>", html), "the one script tag has no inline code"
    assert "<style" not in html.lower()
    # Inline event handlers, style attributes, frames or a base URL would be blocked or unsafe.
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)
    assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE)
    assert not re.search(r"<(iframe|object|embed|base)\b", html, re.IGNORECASE)


def test_each_pane_has_its_section_and_its_module(page, assets):
    sections = dict(re.findall(r'<section id="([a-z-]+)"[^>]*\sdata-pane-title="([^"]+)"', page["body"]))
    assert sections == {"promotions": "Promotions", "category-fetches": "Category fetches", "market": "Market data",
                        "webhooks": "Webhooks", "operations": "Operations"}
    main = assets["/admin/assets/main.js"]["body"]
    for pane in sections:
        module = assets[f"/admin/assets/{pane}.js"]["body"]
        assert f'return {{ id: "{pane}", refresh, clear }};' in module, pane
        assert f'from "./{pane}.js";' in main, pane


def test_the_market_pane_calls_the_market_api(assets):
    module = assets["/admin/assets/market.js"]["body"]
    for call in ('"/market/overview"', '"/market/scheduler/run"', '"/market/jobs/reset-failed"', '"/market/refresh"',
                 '"/market/jobs"'):
        assert call in module, call


def test_the_operations_pane_calls_the_operators_api(assets):
    module = assets["/admin/assets/operations.js"]["body"]
    for call in ('"/queues"', '"/admin/jobs"', '"/admin/promotions/"', '"/admin/bulk-actions/"',
                 '"/admin/queues/"'):
        assert call in module, call


def test_the_webhooks_pane_calls_the_webhook_api(assets):
    module = assets["/admin/assets/webhooks.js"]["body"]
    for call in ('"/webhooks"', "path`/webhooks/${row.key}/test`", "path`/webhooks/${row.key}/rotate-secret`",
                 "path`/webhooks/${selected}/deliveries`", "api.patch(", "api.delete(", '"/admin/events"'):
        assert call in module, call


def test_every_element_the_modules_look_up_is_in_the_page(page, assets):
    html = page["body"]
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    looked_up = {name for a in assets.values() for name in re.findall(r'byId\("([^"]+)"\)', a["body"])}
    assert looked_up, "the modules find the page's elements by id"
    assert looked_up <= ids, sorted(looked_up - ids)


def test_the_page_carries_no_token_or_data(page):
    html = page["body"]
    assert not re.search(r"eyJ[A-Za-z0-9_-]{5,}", html), "no JWT in the page"
    assert "Bearer ey" not in html
    # Jobs, budgets and tables come from the API at run time: nothing is rendered on the server.
    assert "<table" not in html and "data-job-id=" not in html and "<meter" not in html
    assert re.search(r'<div class="table-wrap" id="jobs-region"[^>]*></div>', html)
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


# ---- the policy -----------------------------------------------------------------------------

def test_the_csp_allows_scripts_and_styles_from_this_origin_only(page):
    csp = csp_of(page)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'none'"]
    assert csp["require-trusted-types-for"] == ["'script'"]
    assert csp["trusted-types"] == ["'none'"]
    header = headers_of(page)["content-security-policy"]
    for loophole in ("unsafe-inline", "unsafe-eval", "sha256-", "nonce-", "*", "http"):
        assert loophole not in header, loophole


def test_the_page_and_every_asset_carry_the_security_headers(page, assets):
    for url, result in {"/admin": page, **assets}.items():
        headers = headers_of(result)
        assert headers["content-security-policy"] == headers_of(page)["content-security-policy"], url
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["referrer-policy"] == "no-referrer", url
        assert headers["x-frame-options"] == "DENY", url
        assert headers["cross-origin-resource-policy"] == "same-origin", url
        # Never cached: after a deploy, no module of the old version runs beside the new ones.
        assert headers["cache-control"] == "no-store", url


# ---- the assets -----------------------------------------------------------------------------

def test_every_module_the_page_imports_is_served_with_its_content_type(assets):
    assert "/admin/assets/main.js" in assets and "/admin/assets/dashboard.css" in assets
    for url, result in assets.items():
        assert result["statusCode"] == 200, url
        assert result.get("isBase64Encoded") is False, url
        assert headers_of(result)["content-type"] == (JS if url.endswith(".js") else CSS), url
        assert result["body"] == (ASSETS_DIR / url.rsplit("/", 1)[1]).read_text(encoding="utf-8"), url


def test_every_asset_file_is_used_by_the_page(assets):
    files = {p.name for p in ASSETS_DIR.iterdir()}
    assert files == {url.rsplit("/", 1)[1] for url in assets}


def test_the_modules_build_the_dom_without_html_strings(assets):
    # With Trusted Types set to 'none', any of these sinks throws in the browser.
    for url, result in assets.items():
        source = result["body"]
        for sink in (".innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                     "setAttribute(\"on", "setAttribute(\"style", ".style."):
            assert sink not in source, (url, sink)
        assert not re.search(r"https?://", source), f"{url}: no third-party or absolute URLs (no CDN)"


@pytest.mark.parametrize("path", [
    "/admin/assets/..%2Fapp.py",
    "/admin/assets/%2e%2e%2fapp.py",
    "/admin/assets/..%2F..%2Ftemplate.yaml",
    "/admin/assets/..%5Capp.py",
    "/admin/assets/%2Fetc%2Fpasswd",
    "/admin/assets/..",
    "/admin/assets/.",
    "/admin/assets/index.html",
    "/admin/assets/app.py",
    "/admin/assets/unknown.js",
    "/admin/assets/MAIN.JS",
    "/admin/assets/main.js%00",
    "/admin/assets/main.js%2F",
    "/admin/assets/.%2Fmain.js",
    "/admin/assets/main.js.map",
    "/admin/assets/main.js/",
    "/admin/assets/../app.py",
    "/admin/assets/",
    "/admin/assets",
])
def test_anything_but_an_asset_name_is_not_found(path):
    result = get(path)
    assert result["statusCode"] == 404, path
    assert headers_of(result)["content-type"].startswith("application/json")
    body = json.loads(result["body"])
    assert body["success"] is False and body["ok"] is False and body["error"]
    assert "import" not in result["body"] and "def " not in result["body"]


def test_a_decoded_path_parameter_finds_nothing_either():
    # API Gateway hands the function the decoded parameter next to the raw path.
    result = get("/admin/assets/..%2Fapp.py", path_parameters={"file": "../app.py"})
    assert result["statusCode"] == 404


@pytest.mark.parametrize("path", ["/admin/unknown", "/admin/admin.js", "/admin/../promotions", "/administrator",
                                  "/admin/main.js"])
def test_other_paths_are_not_found(path):
    result = get(path)
    assert result["statusCode"] == 404
    assert "text/html" not in headers_of(result).get("content-type", "")


def test_the_template_routes_the_assets_to_this_function_without_a_token():
    # What API Gateway (and the local stacks, which route by the template) do with the routes.
    http = HttpApi.from_template(Template.read())
    served = http.call("GET", "/admin/assets/main.js")
    assert served.status == 200
    assert served.headers["content-type"] == JS
    assert served.headers["cache-control"] == "no-store"
    assert http.call("GET", "/admin/assets/..%2Fapp.py").status == 404
    assert http.call("GET", "/admin/assets/../app.py").status == 404


def test_the_files_are_read_once_per_container(monkeypatch):
    admin_page.page.cache_clear()
    admin_page.assets.cache_clear()
    reads = []
    original = type(admin_page.PAGE_FILE).read_text

    def counting_read_text(self, *args, **kwargs):
        reads.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(admin_page.PAGE_FILE), "read_text", counting_read_text)
    try:
        for _ in range(2):
            get()
            get("/admin/assets/main.js")
            get("/admin/assets/dashboard.css")
    finally:
        admin_page.page.cache_clear()
        admin_page.assets.cache_clear()
    assert sorted(reads) == sorted(["index.html", *(p.name for p in ASSETS_DIR.iterdir())])
