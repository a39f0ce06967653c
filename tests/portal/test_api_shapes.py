"""Every API GET answers in the shape its OpenAPI schema documents: a paginated list
(``count``/``next``/``previous``/``results``), a plain array or one object."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests import isolation
from tests.factories import PASSWORD

API_ROUTES = [r for r in isolation.walked_routes() if r.pattern.startswith("api/v1/")]


def schema_path(route: isolation.Route) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.pattern)


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def documented_shape(schema: dict, node: dict) -> str:
    node = _resolve(schema, node)
    if node.get("type") == "array":
        return "array"
    if {"count", "results"} <= set(node.get("properties", {})):
        return "paginated"
    return "object"


def real_shape(body) -> str:
    if isinstance(body, list):
        return "array"
    if isinstance(body, dict) and {"count", "results"} <= set(body):
        return "paginated"
    return "object"


def json_get_operations(schema: dict, route) -> dict | None:
    operation = schema["paths"].get(schema_path(route), {}).get("get")
    if operation is None:
        return None
    content = operation["responses"].get("200", {}).get("content", {})
    return content.get("application/json", {}).get("schema")


@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_the_answer_has_the_documented_shape(cast, client, schema, route):
    documented = json_get_operations(schema, route)
    home = isolation.prepare_cast(cast)
    url = route.url(home)
    superuser = get_user_model().objects.create_superuser("root", password=PASSWORD)
    answers = []
    for user in [*home.insiders.values(), superuser]:
        client.force_login(user)
        response = client.get(url)
        answers.append(response)
        if response.status_code == 200:
            break
    if documented is None:
        # POST-only routes and file downloads: whatever GET answers, it is no undocumented JSON.
        assert not any(
            r.status_code == 200 and r["Content-Type"].startswith("application/json")
            for r in answers
        ), url
        return
    if response.status_code != 200:
        pytest.fail(f"no insider gets 200 from {url}")
    assert real_shape(response.json()) == documented_shape(schema, documented), url


# --- page size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,field",
    [
        ("limit=100000", "limit"),
        ("limit=501", "limit"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
    ],
)
def test_an_out_of_range_page_is_refused_with_the_parameter_named(cast, client, query, field):
    client.force_login(cast.officer)
    response = client.get(f"/api/v1/compounds/home/units/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_the_largest_page_is_500(cast, client):
    client.force_login(cast.officer)
    body = client.get("/api/v1/compounds/home/units/?limit=500&offset=1").json()
    assert body["count"] >= len(body["results"]) > 0


def test_every_paginated_list_documents_the_page_bounds(schema):
    paginated = 0
    for path, operations in schema["paths"].items():
        parameters = {p["name"]: p for p in operations.get("get", {}).get("parameters", [])}
        if "limit" in parameters:
            paginated += 1
            assert parameters["limit"]["schema"]["maximum"] == 500, path
            assert parameters["limit"]["schema"]["minimum"] == 1, path
            assert parameters["offset"]["schema"]["minimum"] == 0, path
    assert paginated >= 10
