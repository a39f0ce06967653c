"""Security headers on every kind of answer: a Content-Security-Policy that allows no
inline script (only the request's nonce), a Permissions-Policy, and templates that keep
to both (no inline script without the nonce, no inline event handlers)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_secure_headers(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    # Scripts from this site only; django-csp adds the request's nonce to the header when a
    # template used it (none does yet).
    assert policy["script-src"][0] == "'self'"
    assert all(v.startswith("'nonce-") for v in policy["script-src"][1:])
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.parametrize(
    "who,url",
    [
        ("committee", "/c/home/"),
        ("company_staff", "/c/home/fees/collection/"),
        (None, "/accounts/login/"),
        (None, "/public/home/fees/"),
        (None, "/public/agreements/verify/"),
        ("officer", "/api/v1/compounds/"),
        (None, "/api/schema/"),
        (None, "/api/docs/"),
    ],
)
def test_every_kind_of_answer_carries_the_headers(cast, client, who, url):
    if who:
        client.force_login(getattr(cast, who))
    response = client.get(url)
    assert response.status_code == 200
    assert_secure_headers(response)


def _templates() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.html")
        if not {".venv", "var", "node_modules", ".git"} & set(path.relative_to(ROOT).parts)
    ]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_keep_to_the_policy(path):
    text = path.read_text()
    for tag in INLINE_SCRIPT.findall(text):
        assert 'nonce="{{ request.csp_nonce }}"' in tag, (
            f'{tag}: an inline script needs nonce="{{{{ request.csp_nonce }}}}" or a file '
            "under static/"
        )
    assert not EVENT_HANDLER.search(text), "inline event handlers (onclick=…) are blocked"
    assert "javascript:" not in text.lower()
