"""A fee notice is styled over portal.pdf's simple user-agent stylesheet (issue 10 item 7),
which gives only a few elements their HTML defaults: the notice must use no other."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from portal import pdf as portal_pdf
from tests.fees.helpers import home_fees

pytestmark = pytest.mark.django_db


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)


def _styled_by_simple_ua() -> set[str]:
    """The elements SIMPLE_UA_CSS names in its selectors."""
    selectors = re.findall(r"^([^{}@;:]+)(?:::[a-z-]+)?\s*\{", portal_pdf.SIMPLE_UA_CSS, re.M)
    return {name.split("::")[0].strip() for s in selectors for name in s.split(",")}


def test_a_notice_uses_only_elements_the_simple_user_agent_sheet_styles(cast, client, monkeypatch):
    data = home_fees(cast)
    seen: list[tuple[str, bool]] = []
    real = portal_pdf.html_to_pdf

    def spy(html, *, simple_ua=False):
        seen.append((html, simple_ua))
        return real(html, simple_ua=simple_ua)

    monkeypatch.setattr(portal_pdf, "html_to_pdf", spy)
    client.force_login(cast.company_staff)
    url = reverse("fees:unit-notice", args=[cast.compound.code, data["unit"].pk])
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    [(html, simple_ua)] = seen
    assert simple_ua
    parser = _Tags()
    parser.feed(html)
    assert parser.tags  # the notice was read
    assert parser.tags <= _styled_by_simple_ua(), parser.tags - _styled_by_simple_ua()
