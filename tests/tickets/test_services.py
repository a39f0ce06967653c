"""Filing and moving requests: validation, state machine, events, audit, notifications."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from portal.models import AuditEntry
from tickets import services
from tickets.models import Category, EventKind, Notification, Party, Rating, Request, State

from .helpers import file_request, jpeg_with_exif, png_bytes, resident_unit

pytestmark = pytest.mark.django_db


def test_resident_files_for_own_unit_due_from_service_level(cast):
    before = timezone.now()
    r = file_request(cast)
    repairs = Category.objects.get(code="repairs")
    assert r.state == State.NEW and r.reporter == cast.resident and r.channel == "online"
    assert r.unit == resident_unit(cast) and r.building == r.unit.building
    assert before + dt.timedelta(hours=repairs.service_level_hours) <= r.due_at
    assert r.due_at - r.received_at == dt.timedelta(hours=repairs.service_level_hours)
    assert list(r.events.values_list("kind", flat=True)) == [EventKind.CREATED]
    assert AuditEntry.objects.filter(action="request.create", object_id=str(r.pk)).exists()


def test_emergency_uses_emergency_hours(cast):
    r = file_request(cast, emergency=True)
    assert r.due_at - r.received_at == dt.timedelta(hours=r.category.emergency_hours)


def test_resident_cannot_file_for_someone_elses_unit(cast):
    other_unit = cast.compound.units.exclude(pk=resident_unit(cast).pk).first()
    far_unit = cast.far_compound.units.first()
    for unit in (other_unit, far_unit):
        with pytest.raises(ValidationError) as exc:
            file_request(cast, unit_id=unit.pk)
        assert "unit" in exc.value.message_dict
    assert not Request.objects.exists()


def test_resident_may_file_for_a_common_area(cast):
    r = file_request(cast, unit_id=None, place="3号楼前绿地")
    assert r.unit is None and r.place_label == "3号楼前绿地"


def test_resident_cannot_pose_as_hotline(cast):
    with pytest.raises(PermissionDenied):
        file_request(cast, channel="12345", hotline_case_number="X1")


def test_every_bad_field_is_named_and_nothing_saved(cast):
    with pytest.raises(ValidationError) as exc:
        services.request_create(
            compound=cast.compound,
            actor=cast.resident,
            data=services.NewRequest(category="nope", description="  \x00 ", unit_id=999999),
            photos=[b"not an image"],
        )
    assert {"category", "description", "unit", "photo"} <= set(exc.value.message_dict)
    assert not Request.objects.exists()


def test_photo_is_reencoded_without_metadata_with_thumbnail(cast):
    r = (
        file_request(cast, photos=None)
        if False
        else services.request_create(
            compound=cast.compound,
            actor=cast.resident,
            data=services.NewRequest(
                category="repairs", description="墙皮脱落", unit_id=resident_unit(cast).pk
            ),
            photos=[jpeg_with_exif(), png_bytes(text="gps here")],
        )
    )
    jpeg, png = r.photos.order_by("id")
    with default_storage.open(jpeg.image.name) as f, Image.open(f) as image:
        assert image.format == "JPEG" and not image.getexif()
    with default_storage.open(jpeg.thumbnail.name) as f, Image.open(f) as thumb:
        assert max(thumb.size) <= 320
    with default_storage.open(png.image.name) as f, Image.open(f) as image:
        assert "Comment" not in image.info


def test_too_many_photos_refused(cast):
    with pytest.raises(ValidationError) as exc:
        services.request_create(
            compound=cast.compound,
            actor=cast.resident,
            data=services.NewRequest(category="repairs", description="x"),
            photos=[png_bytes()] * 7,
        )
    assert "photo" in exc.value.message_dict


def test_full_life_assign_start_resolve_rate(cast):
    r = file_request(cast)
    services.request_assign(
        request=r, actor=cast.committee, party=Party.COMPANY, assignee=cast.company_staff
    )
    r.refresh_from_db()
    assert r.state == State.ASSIGNED and r.first_response_at is not None
    assert Notification.objects.filter(user=cast.company_staff, request=r, kind="assigned").exists()
    services.request_start(request=r, actor=cast.company_staff)
    services.request_resolve(request=r, actor=cast.company_staff, result="已更换水管")
    r.refresh_from_db()
    assert r.state == State.RESOLVED and r.resolved_at is not None and r.result == "已更换水管"
    assert Notification.objects.filter(user=cast.resident, request=r, kind="resolved").exists()
    services.request_rate(request=r, actor=cast.resident, rating=Rating.SATISFIED, comment="很快")
    r.refresh_from_db()
    assert r.state == State.CLOSED and r.rating == Rating.SATISFIED
    kinds = list(r.events.values_list("kind", flat=True))
    assert kinds == ["created", "assigned", "started", "resolved", "rated", "closed"]


def test_not_satisfied_reopens(cast):
    r = file_request(cast)
    services.request_resolve(request=r, actor=cast.company_staff, result="已处理")
    services.request_rate(
        request=r, actor=cast.resident, rating=Rating.NOT_SATISFIED, comment="还在漏", reopen=True
    )
    r.refresh_from_db()
    assert r.state == State.REOPENED and r.resolved_at is None and r.reopen_count == 1
    assert r.rating == Rating.NOT_SATISFIED


def test_only_not_satisfied_may_reopen(cast):
    r = file_request(cast)
    services.request_resolve(request=r, actor=cast.company_staff, result="已处理")
    with pytest.raises(ValidationError):
        services.request_rate(request=r, actor=cast.resident, rating=Rating.SATISFIED, reopen=True)


def test_wrong_state_and_wrong_people_refused(cast):
    r = file_request(cast)
    with pytest.raises(ValidationError) as exc:
        services.request_close(request=r, actor=cast.company_staff)
    assert "待派单" in " ".join(exc.value.messages)
    with pytest.raises(PermissionDenied):
        services.request_assign(request=r, actor=cast.resident, party=Party.COMPANY)
    with pytest.raises(PermissionDenied):
        services.request_rate(request=r, actor=cast.company_staff, rating=Rating.SATISFIED)
    with pytest.raises(ValidationError):  # not resolved yet
        services.request_rate(request=r, actor=cast.resident, rating=Rating.SATISFIED)
    with pytest.raises(ValidationError) as exc:
        services.request_resolve(request=r, actor=cast.company_staff, result="  ")
    assert "note" in exc.value.message_dict


def test_assignee_must_belong_to_the_party(cast):
    r = file_request(cast)
    with pytest.raises(ValidationError) as exc:
        services.request_assign(
            request=r, actor=cast.committee, party=Party.COMPANY, assignee=cast.outsider_compound
        )
    assert "assignee" in exc.value.message_dict
    r.refresh_from_db()
    assert r.state == State.NEW


def test_handler_comment_is_first_response_resident_comment_is_not(cast):
    r = file_request(cast)
    services.request_comment(request=r, actor=cast.resident, note="请尽快")
    r.refresh_from_db()
    assert r.first_response_at is None
    services.request_comment(request=r, actor=cast.company_staff, note="明早上门")
    r.refresh_from_db()
    assert r.first_response_at is not None


def test_overdue_escalates_to_committee_then_street_office_once(cast):
    r = file_request(cast, received_at=timezone.now() - dt.timedelta(days=10))
    services.request_assign(
        request=r, actor=cast.committee, party=Party.COMPANY, assignee=cast.company_staff
    )
    now = timezone.now()
    # the due time passed 7 days ago: both steps are due, one per run
    assert services.requests_escalate(now=now) == 1
    overdue = Notification.objects.filter(request=r, kind="overdue")
    assert set(overdue.values_list("user__username", flat=True)) == {"committee", "company_staff"}
    assert services.requests_escalate(now=now) == 1
    assert overdue.filter(user=cast.officer).exists()
    assert services.requests_escalate(now=now) == 0
    assert r.events.filter(kind=EventKind.ESCALATED).count() == 2
    fresh = file_request(cast)
    assert services.requests_escalate(now=now) == 0 and fresh.escalation_level == 0
