"""The compound board's section cards follow the roles the caller acts with: a superuser
acts with every managing role (portal.access.acting_roles), company staff do not manage
the roster."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


def cards(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("compound", args=["home"]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_superuser_gets_the_roster_and_property_unit_cards(cast, client):
    root = get_user_model().objects.create_superuser("root", password="x")
    page = cards(client, root)
    assert reverse("roster_import", args=["home"]) in page
    assert reverse("property_right_units", args=["home"]) in page


def test_company_staff_get_neither(cast, client):
    page = cards(client, cast.company_staff)
    assert reverse("roster_import", args=["home"]) not in page
    assert reverse("property_right_units", args=["home"]) not in page
    assert reverse("committee", args=["home"]) in page
