"""The pages work in a real browser under the Content-Security-Policy: nothing is
blocked (no inline script, handler or foreign resource), charts draw, Swagger UI starts."""

import pytest

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


def test_pages_with_charts_and_forms_break_no_rule(cast, page, login):
    page.add_init_script(RECORD_VIOLATIONS)
    login(page, "company_staff")
    assert violations(page) == []
    for url in ["/c/home/", "/c/home/fees/collection/", "/c/home/fees/"]:
        page.goto(url)
        assert page.locator("h1").count() >= 1
        assert violations(page) == [], url
    page.goto("/public/home/fees/")
    assert violations(page) == []


def test_swagger_ui_starts_under_the_policy(cast, page):
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/api/docs/")
    page.wait_for_selector("#swagger-ui .info .title", timeout=15_000)
    assert "Compound Portal API" in page.inner_text("#swagger-ui .info .title")
    assert violations(page) == []
