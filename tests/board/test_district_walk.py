"""The home district's officer, walked over every route of the project (the isolation
walk's routes and resolvers, tests/isolation.py): the boards answer without any owner's
name, ID number or phone, and every other home URL refuses them.

In its own module: the walk's shared cast lives as long as the module."""

import pytest

from tests import isolation

# The routes that answer a district officer of the home district; all else refuses them.
DISTRICT_ROUTES = {
    "board:office-board",
    "board:district-board",
    "api-street-office-board",
    "api-district-board",
}


@pytest.fixture(scope="module")
def shared_home(django_db_setup, django_db_blocker):
    with isolation.shared_cast(django_db_blocker) as cast:
        yield cast


def test_the_home_district_officer_sees_no_owner_and_opens_only_the_boards(shared_home, db, client):
    """Every route of the project, walked as the home district's officer: the boards
    answer without any owner's name, ID number or phone; every other home URL refuses."""
    if shared_home is None:
        pytest.fail("the isolation walk's shared cast could not be built")
    problems = []
    with isolation.cast_for_one_test(shared_home) as cast:
        client.force_login(cast.district_officer)
        owners = isolation.personal_markers_of_everyone()
        for route in isolation.walked_routes():
            url = route.url(cast)
            if route.name in DISTRICT_ROUTES:
                response = client.get(url)
                if response.status_code != 200:
                    problems.append(f"{url} → {response.status_code}")
                seen = isolation.found_markers(isolation.response_text(response), owners)
                if seen:
                    problems.append(f"{url} shows owners: {seen[:3]}")
                continue
            problems += isolation.leaks(
                client,
                route,
                url,
                owners,
                "district_officer",
                must_refuse=route.is_tenant_scoped,
            )
    assert not problems, "\n".join(problems)
