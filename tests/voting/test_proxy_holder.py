"""A proxy holder's account must belong to the compound (a role in it or an owner of it).
An account of another compound and a username that does not exist get the same answer, on
the page and in the API, so neither tells which usernames exist."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from voting.models import Proxy

from .helpers import make_decision, resident_of

MESSAGE = "受托人账号不存在或不属于本小区"


def upload():
    return SimpleUploadedFile("auth.pdf", b"%PDF-1.4 signed", "application/pdf")


def _post_api(cast, decision, username):
    api = APIClient()
    api.force_authenticate(cast.committee)
    return api.post(
        f"/api/v1/compounds/home/decisions/{decision.pk}/proxies/",
        {
            "voter_number": 1,
            "holder_name": "张三",
            "holder_username": username,
            "authorisation": upload(),
        },
        format="multipart",
    )


def _post_page(cast, decision, username):
    client = Client()  # a fresh session each time: messages do not pile up
    client.force_login(cast.committee)
    response = client.post(
        reverse("voting:proxy_register", args=["home", decision.pk]),
        {
            "voter_number": 1,
            "holder_name": "张三",
            "holder_username": username,
            "authorisation": upload(),
        },
    )
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("username", ["outsider_resident", "outsider_compound", "nobody-here"])
def test_api_refuses_foreign_and_unknown_holders_alike(cast, username):
    decision = make_decision(cast)
    response = _post_api(cast, decision, username)
    assert response.status_code == 400
    assert response.json() == {"holder_username": [MESSAGE]}
    assert not Proxy.objects.exists()


def test_page_refuses_foreign_and_unknown_holders_alike(cast):
    decision = make_decision(cast)
    foreign = _post_page(cast, decision, "outsider_resident")
    unknown = _post_page(cast, decision, "nobody-here")
    assert foreign == unknown == [MESSAGE]
    assert not Proxy.objects.exists()


def test_owner_and_member_of_the_compound_may_hold_a_proxy(cast):
    decision = make_decision(cast)
    neighbour = resident_of(cast, "2", 1, "neighbour")
    assert _post_api(cast, decision, neighbour.username).status_code == 201
    Proxy.objects.all().delete()
    assert _post_api(cast, decision, cast.committee.username).status_code == 201
