"""The API's documentation page renders in a real browser from the site's own files, under the
site's Content Security Policy."""

from __future__ import annotations

import pytest

from tests.test_browser_csp import CspWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_page_renders_every_operation_without_csp_violations(live_server, page, screenshot):
    watch = CspWatch(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    watch.visit(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock-summary-path", has_text="/api/v1/people/{key}").wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/v1/people", "/api/v1/events", "/api/v1/statistics", "/api/v1/summary"} <= {p.strip() for p in paths}
    # Try one operation from the page itself: the answer comes back from the same site.
    page.locator(".opblock-summary", has_text="/api/v1/summary").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
    screenshot(page, "api-docs")
    watch.check("the API docs")
    assert all(url.startswith(live_server.url) for url in requested), requested
