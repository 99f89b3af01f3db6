"""The API documentation at /docs works with every outside request blocked (an intranet)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytest.importorskip("playwright.sync_api")


def test_docs_render_offline(browser, stack):
    context = browser.new_context()
    page = context.new_page()
    outside = []

    def route(request_route):
        host = urlparse(request_route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    try:
        page.goto(stack["base"] + "/docs")
        page.locator(".opblock-summary-path", has_text="/api/chat/sessions").first.wait_for(timeout=30000)
        assert page.locator(".opblock").count() > 20  # every route is listed
        assert outside == []  # and nothing was asked of the internet
    finally:
        context.close()
