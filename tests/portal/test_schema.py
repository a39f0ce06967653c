"""The OpenAPI schema generates cleanly, and its docs page loads nothing from elsewhere."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

ROOT = Path(__file__).resolve().parents[2]

API_PATHS = {
    "/api/v1/auth/token/",
    "/api/v1/compounds/",
    "/api/v1/compounds/{code}/",
    "/api/v1/compounds/{code}/buildings/",
    "/api/v1/compounds/{code}/units/",
    "/api/v1/compounds/{code}/units/{unit_id}/",
    "/api/v1/compounds/{code}/owners/",
}


def test_schema_generates_and_validates_without_warnings(tmp_path):
    GENERATOR_STATS.reset()  # warnings of earlier tests in this process are not ours
    out = tmp_path / "schema.yaml"
    # --fail-on-warn raises on any warning or error; --validate checks the OpenAPI spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert set(schema["paths"]) >= API_PATHS
    assert not GENERATOR_STATS


def test_owner_schema_offers_only_masked_identifiers(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    owner = response.json()["components"]["schemas"]["Owner"]["properties"]
    assert {"id_number_masked", "phone_masked"} <= set(owner)
    assert not {"id_number", "phone"} & set(owner)


def test_units_list_documents_the_building_filter(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    params = schema["paths"]["/api/v1/compounds/{code}/units/"]["get"]["parameters"]
    assert "building" in {p["name"] for p in params}


class _Assets(HTMLParser):
    """Collects every URL a page makes the browser fetch by itself."""

    FETCHING = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attribute = self.FETCHING.get(tag)
        for name, value in attrs:
            if name == attribute and value:
                self.urls.append(value)


def _is_off_site(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url, re.IGNORECASE))


def test_swagger_ui_loads_only_local_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    parser = _Assets()
    parser.feed(page)
    assert any(url.endswith("swagger-ui-bundle.js") for url in parser.urls)
    assert [url for url in parser.urls if _is_off_site(url)] == []
    # Its start-up script comes from this view itself (no inline script, for the CSP).
    (script_url,) = [url for url in parser.urls if url.startswith("/api/docs/")]
    assert "<script>" not in page
    for url in set(parser.urls) - {script_url}:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a local static file"
    script = client.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    # Swagger UI would post the schema to validator.swagger.io unless told not to.
    assert '"validatorUrl": null' in script.content.decode()


def _project_templates() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.html")
        if not {".venv", "var", "node_modules", ".git"} & set(path.relative_to(ROOT).parts)
    ]


@pytest.mark.parametrize("path", _project_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_loads_anything_from_a_cdn(path):
    parser = _Assets()
    parser.feed(path.read_text())
    assert [url for url in parser.urls if _is_off_site(url)] == []
