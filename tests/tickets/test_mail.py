"""E-mail copies of notifications where EMAIL_URL is configured: after the commit, to
users with an address, in their language, with a link and nobody else's data."""

import pytest
from django.core import mail

from tickets import services
from tickets.models import Notification, NotificationPreference, Party
from tickets.services_mail import notifications_mail

from .helpers import file_request, resident_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_on(settings):
    settings.EMAIL_URL = "locmem://"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://portal.example/"


def give_address(user, address: str) -> None:
    user.email = address
    user.save(update_fields=["email"])


def assign(cast, request, capture):
    with capture(execute=True):
        services.request_assign(
            request=request, actor=cast.committee, party=Party.COMPANY, assignee=cast.company_staff
        )


def test_assignment_mailed_in_chinese_with_link_and_no_ones_data(
    cast, mail_on, django_capture_on_commit_callbacks
):
    give_address(cast.company_staff, "staff@example.com")
    r = file_request(cast, description="厨房水管漏水 请联系13900001111")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.request_assign(
            request=r, actor=cast.committee, party=Party.COMPANY, assignee=cast.company_staff
        )
    assert not mail.outbox  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["staff@example.com"]
    assert "派单给你" in message.subject and cast.compound.name in message.subject
    assert f"https://portal.example/c/home/requests/{r.pk}/" in message.body
    assert "维修" in message.body
    unit = resident_unit(cast)
    for private in ("厨房水管漏水", "13900001111", "139****1111", unit.label, "业主-home-1-1"):
        assert private not in message.body and private not in message.subject
    assert cast.resident.username not in message.body
    note = Notification.objects.get(user=cast.company_staff)
    assert note.emailed_at is not None
    assert notifications_mail(notification_ids=[note.pk]) == 0  # each once
    assert len(mail.outbox) == 1


def test_users_language_and_who_gets_none(cast, mail_on, django_capture_on_commit_callbacks):
    give_address(cast.company_staff, "staff@example.com")
    NotificationPreference.objects.create(user=cast.company_staff, language="en")
    give_address(cast.resident, "resident@example.com")
    NotificationPreference.objects.create(user=cast.resident, email=False)
    r = file_request(cast)
    assign(cast, r, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_resolve(request=r, actor=cast.company_staff, result="已更换阀门")
    # the resident was told in the portal, but turned e-mail off
    assert Notification.objects.filter(user=cast.resident).exists()
    assert [m.to for m in mail.outbox] == [["staff@example.com"]]
    assert "Assigned to you" in mail.outbox[0].subject
    # a user without an address gets no mail either
    r2 = file_request(cast, description="第二件")
    give_address(cast.company_staff, "")
    assign(cast, r2, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_without_email_url_nothing_is_queued_or_sent(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_URL = ""
    give_address(cast.company_staff, "staff@example.com")
    r = file_request(cast)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.request_assign(
            request=r, actor=cast.committee, party=Party.COMPANY, assignee=cast.company_staff
        )
    assert Notification.objects.filter(user=cast.company_staff).exists()
    assert not mail.outbox
    assert not any("mail" in getattr(c, "__qualname__", "") for c in callbacks)
    assert (
        notifications_mail(notification_ids=list(Notification.objects.values_list("pk", flat=True)))
        == 0
    )


def test_notifications_page_keeps_the_mail_preference(cast, mail_on):
    from django.test import Client

    client = Client()
    client.force_login(cast.company_staff)
    page = client.get("/c/home/requests/notifications/")
    assert page.status_code == 200 and "mail-preference" in page.content.decode()
    saved = client.post("/c/home/requests/notifications/", {"language": "en", "email": ""})
    assert saved.status_code == 302
    preference = NotificationPreference.objects.get(user=cast.company_staff)
    assert preference.language == "en" and not preference.email
    bad = client.post("/c/home/requests/notifications/", {"language": "fr"})
    assert bad.status_code == 400
    assert NotificationPreference.objects.get(user=cast.company_staff).language == "en"
