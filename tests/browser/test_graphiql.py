"""GraphiQL at /graphql, from the server alone: with every other address out of reach (as behind a
government network), under the page's real Content-Security-Policy, it loads and runs a query and
a subscription."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, ORGANIZER


@pytest.fixture
def offline_page(browser, site):
    """A page whose requests to anything but the server are refused, and written down."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=site.url)
    context.set_default_timeout(15_000)
    elsewhere: list[str] = []

    def only_the_server(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_server)
    page = context.new_page()
    page.elsewhere = elsewhere
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"error: {error}"))
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    yield page
    context.close()


def run_in_graphiql(page, document: str) -> None:
    """Put a document in GraphiQL's editor and press its run button."""
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    editor.wait_for()
    editor.evaluate("(node, text) => node.CodeMirror.setValue(text)", document)
    # GraphiQL parses the editor's text a moment after it changes; it sends a subscription over the
    # WebSocket only when it knows the document to be one.
    editor.evaluate(
        "node => new Promise(done => { const check = () => node.CodeMirror.documentAST?.loc?.source.body === "
        "node.CodeMirror.getValue() ? done() : setTimeout(check, 20); check(); })"
    )
    page.locator(".graphiql-execute-button").click()


def test_graphiql_runs_a_query_and_a_subscription_with_no_other_site_reachable(offline_page, site):
    # given a draft only its organizer may see, and a browser that can reach nothing but this server
    page = offline_page
    draft = site.consultation("GraphiQL 里看到的草稿")
    # when GraphiQL is opened at /graphql
    page.goto("/graphql")
    # then it draws itself from the server's own files: no "Loading…" left, its docs reachable
    page.locator(".graphiql-container").wait_for()
    assert page.get_by_role("status").count() == 0
    # and a query typed into it runs against this server and its answer appears
    # (a short answer: the response pane draws only the lines in view)
    run_in_graphiql(page, "{ areas(kind: DISTRICT) { name } }")
    response = page.locator(".graphiql-response")
    response.get_by_text("临河区").wait_for()
    assert '"areas"' in response.inner_text()
    # and a token typed into its Headers speaks for that account, over HTTP and over the WebSocket
    page.get_by_role("button", name="Headers").click()
    headers = page.locator(".graphiql-editor-tool .CodeMirror:visible")
    bearer = json.dumps({"Authorization": f"Bearer {site.token(ORGANIZER)}"})
    headers.evaluate("(node, text) => node.CodeMirror.setValue(text)", bearer)
    run_in_graphiql(page, "{ viewer { roles } }")
    response.get_by_text('"ORGANIZER"', exact=True).wait_for()
    # and a subscription runs over the WebSocket, as that account: the draft's trail is replayed
    # (signed out, it would be NOT_FOUND)
    cid = json.dumps(draft["id"])
    run_in_graphiql(page, f"subscription {{ consultationEvents(consultationId: {cid}, afterSeq: 0) {{ seq kind }} }}")
    response.get_by_text('"CREATED"', exact=True).wait_for()
    assert '"seq": 1' in response.inner_text()
    # and nothing was asked of another site, and nothing was refused by the page's policy or erred
    assert page.elsewhere == []
    assert page.problems == []


def test_graphiql_is_served_under_the_pages_policy(site):
    import urllib.request

    request = urllib.request.Request(f"{site.url}/graphql", headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        policy = answer.headers["Content-Security-Policy"]
        html = answer.read().decode()
    # no script from another site, none written into the page, no eval
    assert re.search(r"script-src 'self';", policy) and "unsafe-eval" not in policy
    assert "https://" not in html and "<script>" not in html
    assert answer.headers["X-Frame-Options"] == "DENY"
