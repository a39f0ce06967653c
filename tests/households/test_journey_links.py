"""Links between the steps issue 11's journey found missing (tests/e2e/test_journey.py
walks them in a browser): the compound's page leads its committee and street officers to
the activation letters."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["committee", "officer"])
def test_the_compound_page_links_the_activation_letters(cast, client, who):
    client.force_login(getattr(cast, who))
    page = client.get(reverse("compound", args=["home"])).content.decode()
    assert f'id="letters-link" href="{reverse("letters", args=["home"])}"' in page


@pytest.mark.django_db
def test_a_company_staff_member_gets_no_letters_link(cast, client):
    client.force_login(cast.company_staff)
    page = client.get(reverse("compound", args=["home"]))
    assert page.status_code == 200 and 'id="letters-link"' not in page.content.decode()
