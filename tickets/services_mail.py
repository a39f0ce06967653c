"""E-mail copies of the in-portal notifications, where e-mail is configured.

Only when ``EMAIL_URL`` is set: every notification made is then queued, after the
transaction commits, to :func:`notifications_mail` (``tickets.tasks.mail_notifications``),
which mails it to its user if the user has an address and has not turned e-mail off, in
the user's chosen language (Chinese unless chosen, :class:`NotificationPreference`). A
mail names the compound, the request's number, category, what happened and its due
time, with a link to the request: never its description, place or anyone's name or
phone (those are behind the login). Each notification is mailed once (``emailed_at``).
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.queue import enqueue

from .models import MailLanguage, Notification, NotificationKind


def mail_configured() -> bool:
    return bool(getattr(settings, "EMAIL_URL", ""))


def notifications_mail_enqueue(notification_ids: Iterable[int | None]) -> None:
    """Queue the e-mail copies of these notifications after the commit (nothing without
    ``EMAIL_URL``)."""
    ids = sorted({pk for pk in notification_ids if pk is not None})
    if ids and mail_configured():
        enqueue("tickets.tasks.mail_notifications", ids)


def _message(note: Notification) -> EmailMessage:
    request = note.request
    compound = note.compound
    kind = NotificationKind(note.kind).label
    subject = _("【%(compound)s】工单 #%(number)s：%(kind)s") % {
        "compound": compound.name,
        "number": request.pk,
        "kind": kind,
    }
    link = settings.SITE_URL.rstrip("/") + request.get_absolute_url()
    lines = [
        str(kind),
        "",
        _("小区：%(compound)s") % {"compound": compound.name},
        _("工单：#%(number)s %(category)s")
        % {"number": request.pk, "category": request.category.name},
        _("办理时限：%(due)s")
        % {"due": timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M")},
        "",
        _("登录后查看：%(link)s") % {"link": link},
        "",
        _("这是小区物业服务平台的自动通知，请勿回复。"),
    ]
    return EmailMessage(
        subject=subject,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[note.user.email],
    )


def notifications_mail(*, notification_ids: list[int]) -> int:
    """Mail each of these notifications not mailed yet to its user (who has an address,
    is active and has not turned e-mail off), in the user's language; returns how many
    were sent. One query for the notifications, one connection, one update."""
    if not mail_configured():
        return 0
    notes = list(
        Notification.objects.filter(
            pk__in=notification_ids,
            emailed_at__isnull=True,
            user__is_active=True,
            user__email__gt="",
        )
        .filter(
            Q(user__ticket_mail_preference__isnull=True)
            | Q(user__ticket_mail_preference__email=True)
        )
        .select_related(
            "user__ticket_mail_preference", "request__category", "request__compound", "compound"
        )
        .order_by("pk")
    )
    sent: list[int] = []
    try:
        with get_connection() as connection:
            for note in notes:
                preference = getattr(note.user, "ticket_mail_preference", None)
                language = preference.language if preference else MailLanguage.ZH_HANS
                with translation.override(language):
                    message = _message(note)
                message.connection = connection
                message.send()
                sent.append(note.pk)
    finally:
        if sent:
            Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return len(sent)
