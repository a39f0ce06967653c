"""Activation letters (开通通知书, issue 11 item 3): codes issued per part as the letters are
printed, one letter per household, the building files read back, the API and pages."""

import datetime as dt
import io
import os
import re
import signal

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from households.models import (
    ActivationCode,
    ActivationLetterChunk,
    ActivationLetterJob,
    LetterJobStatus,
    Owner,
    Ownership,
    Unit,
)
from households.printing import ChunkStatus
from households.services import letters
from portal.codes import code_parse, secret_matches
from portal.models import AuditEntry
from tests.conftest import needs_worker
from tests.factories import make_compound

CODE = re.compile(r"[2-9A-Z]{5}-[2-9A-Z]{5}-[2-9A-Z]{5}")


def _start(compound, numbers, actor=None, capture=None) -> ActivationLetterJob:
    buildings = letters.letter_buildings(compound, numbers)
    if capture is None:
        return letters.activation_letters_start(compound=compound, buildings=buildings, actor=actor)
    with capture(execute=True):
        job = letters.activation_letters_start(compound=compound, buildings=buildings, actor=actor)
    job.refresh_from_db()
    return job


def _pages(job) -> list[str]:
    texts = []
    for chunk in job.chunks.filter(status=ChunkStatus.DONE).exclude(file=""):
        if not chunk.holds_building_file:
            continue
        with default_storage.open(chunk.file, "rb") as f:
            texts += [p.extract_text() for p in PdfReader(io.BytesIO(f.read())).pages]
    return texts


def _label_and_code(text: str) -> tuple[str, str]:
    line = next(li for li in text.splitlines() if li.startswith("房屋"))
    return line.removeprefix("房屋").strip(), CODE.search(text).group(0)


def _matches_stored(unit: Unit, printed: str) -> bool:
    selector, secret = code_parse(printed)
    code = ActivationCode.objects.get(selector=selector)
    return (
        code.unit_id == unit.pk
        and code.used_at is None
        and code.revoked_at is None
        and secret_matches(secret, code.secret_hash)
    )


@pytest.mark.django_db
def test_each_household_gets_one_letter_with_a_working_code(
    cast, django_capture_on_commit_callbacks
):
    compound = cast.compound
    unit = compound.units.get(building__number="1", number="0101")
    co_owner = Owner.objects.create(
        compound=compound, name="共有人", id_number="110101199001019999"
    )
    Ownership.objects.create(
        compound=compound, unit=unit, owner=co_owner, valid_from=dt.date(2020, 1, 1)
    )
    job = _start(compound, ["1"], cast.committee, django_capture_on_commit_callbacks)
    assert job.status == LetterJobStatus.DONE
    assert job.done == job.total == 3  # three units, the co-owned one once
    pages = _pages(job)
    assert len(pages) == 3
    units = {u.label: u for u in compound.units.filter(building__number="1")}
    seen = set()
    for text in pages:
        label, printed = _label_and_code(text)
        assert label in units and label not in seen
        seen.add(label)
        assert _matches_stored(units[label], printed)
        assert compound.name in text
        assert "业主-home" not in text  # names masked
    assert "共**" in next(t for t in pages if _label_and_code(t)[0] == unit.label)
    assert ActivationCode.objects.filter(unit__in=units.values()).count() == 3
    code = ActivationCode.objects.get(unit=unit)
    days = (code.expires_at - code.created_at).days
    assert days == 30
    assert code.issued_by == cast.committee


@pytest.mark.django_db
def test_printing_again_invalidates_the_old_codes(cast, django_capture_on_commit_callbacks):
    compound = cast.compound
    first = _start(compound, ["1"], cast.committee, django_capture_on_commit_callbacks)
    old = dict(_label_and_code(t) for t in _pages(first))
    second = _start(compound, ["1"], cast.officer, django_capture_on_commit_callbacks)
    new = dict(_label_and_code(t) for t in _pages(second))
    assert old.keys() == new.keys() and set(old.values()).isdisjoint(new.values())
    for printed in old.values():
        selector, _secret = code_parse(printed)
        assert ActivationCode.objects.get(selector=selector).revoked_at is not None
    units = {u.label: u for u in compound.units.filter(building__number="1")}
    assert all(_matches_stored(units[label], printed) for label, printed in new.items())
    # one open code per unit, whatever has been printed
    assert (
        ActivationCode.objects.filter(
            unit__building__number="1", unit__compound=compound, revoked_at__isnull=True
        ).count()
        == 3
    )


@pytest.mark.django_db
def test_starting_revokes_at_once_and_a_rerender_reissues(cast):
    """The old codes stop working as soon as a reprint is asked for; a part rendered a
    second time (its first worker died) replaces the codes of the first try."""
    compound = cast.compound
    unit = compound.units.get(building__number="2", number="0101")
    ActivationCode.objects.create(
        compound=compound,
        unit=unit,
        selector="ZZZZZ",
        secret_hash="x",
        created_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=3),
    )
    job = _start(compound, ["2"])  # not executed: nothing rendered yet
    assert ActivationCode.objects.get(selector="ZZZZZ").revoked_at is not None
    assert job.status == LetterJobStatus.QUEUED and job.total == 3
    chunk = job.chunks.get()
    assert chunk.unit_ids == list(
        compound.units.filter(building__number="2").order_by("number").values_list("id", flat=True)
    )
    stale = timezone.now() - letters.letter_print().lease() - dt.timedelta(seconds=1)
    ActivationLetterChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="dead", claimed_at=stale
    )
    # the dead worker had issued codes before it died
    letters._issue_codes(
        list(compound.units.filter(building__number="2")),
        compound=compound,
        actor_id=None,
        now=timezone.now(),
    )
    assert letters.letter_chunk_render(chunk_id=chunk.pk, claim="rescuer") is True
    assert letters.letter_chunk_render(chunk_id=chunk.pk, claim="dead") is False
    job.refresh_from_db()
    assert job.status == LetterJobStatus.DONE and job.done == 3
    open_codes = ActivationCode.objects.filter(
        unit__building__number="2", unit__compound=compound, revoked_at__isnull=True
    )
    assert open_codes.count() == 3
    printed = dict(_label_and_code(t) for t in _pages(job))
    units = {u.label: u for u in compound.units.filter(building__number="2")}
    assert all(_matches_stored(units[label], code) for label, code in printed.items())


@pytest.mark.django_db
def test_a_lost_claim_issues_no_codes(cast):
    compound = cast.compound
    job = _start(compound, ["1"])
    chunk = job.chunks.get()
    ActivationLetterChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="alive", claimed_at=timezone.now()
    )
    assert letters.letter_chunk_render(chunk_id=chunk.pk, claim="intruder") is False
    assert not ActivationCode.objects.filter(unit__building__number="1").exists()


@pytest.mark.django_db
def test_units_without_a_current_owner_get_no_letter(cast, django_capture_on_commit_callbacks):
    compound = cast.compound
    unit = compound.units.get(building__number="1", number="0201")
    unit.ownerships.update(valid_to=dt.date(2024, 1, 1))
    job = _start(compound, ["1"], None, django_capture_on_commit_callbacks)
    assert job.total == job.done == 2
    assert unit.label not in [_label_and_code(t)[0] for t in _pages(job)]
    assert not ActivationCode.objects.filter(unit=unit).exists()


@pytest.mark.django_db
def test_large_buildings_print_in_parts_joined_into_one_file(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.PRINT_PART_SIZE = 2
    compound = make_compound(cast.office, "big", buildings=1, units_per_building=5)
    job = _start(compound, ["1"], None, django_capture_on_commit_callbacks)
    assert job.status == LetterJobStatus.DONE and job.done == 5
    chunks = list(job.chunks.all())
    assert len(chunks) == 4  # three parts and the join
    assert [c.file for c in chunks if not c.is_merge] == ["", "", ""]
    pages = _pages(job)
    labels = [_label_and_code(t)[0] for t in pages]
    assert labels == [u.label for u in compound.units.order_by("number")]
    state = letters.letter_print().job_state(job_id=job.pk)
    assert state.done == 1 and state.parts_done == state.parts_total == 3


@pytest.mark.parametrize(
    "numbers, reason",
    [
        ([], "请至少选择一个楼栋"),
        (["99"], "本小区没有这些楼栋：99"),
        (["1", "99", "x"], "本小区没有这些楼栋：99、x"),
        (["16"] * 10_000, "一次最多"),
        ("1", "请以列表给出楼号"),
        ([1], "楼号须为文字"),
    ],
)
@pytest.mark.django_db
def test_bad_building_lists_are_refused_with_the_reason(cast, numbers, reason):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        letters.letter_buildings(cast.compound, numbers)
    assert reason in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_another_compounds_building_is_unknown(cast):
    from django.core.exceptions import ValidationError

    other = cast.other_compound.buildings.get(number="1")
    with pytest.raises(ValidationError):
        letters.activation_letters_start(compound=cast.compound, buildings=[other], actor=None)
    assert not ActivationLetterJob.objects.exists()


@pytest.mark.django_db
def test_start_is_audited(cast, django_capture_on_commit_callbacks):
    job = _start(cast.compound, ["1", "2"], cast.committee, django_capture_on_commit_callbacks)
    entry = AuditEntry.objects.filter(action="households.activation_letters_start").get()
    assert entry.data["letters"] == 6 and entry.data["buildings"] == ["1", "2"]
    assert entry.object_id == str(job.pk) and entry.actor == cast.committee


@pytest.fixture
def slow_letter_chunks(monkeypatch):
    """Every letter chunk the worker renders sleeps 3 s first (the worker, started after
    this, reads PRINT_CHUNK_DELAY_FOR_TESTS from its environment)."""
    monkeypatch.setenv("PRINT_CHUNK_DELAY_FOR_TESTS", "3")


@needs_worker
def test_killed_workers_mid_job_still_give_each_household_one_working_letter(
    slow_letter_chunks, live_worker
):
    from portal.models import StreetOffice
    from tests.fees.test_notices import _pool_children, _wait

    office = StreetOffice.objects.create(code="kill-letters", name="K")
    compound = make_compound(office, "killl", buildings=4, units_per_building=3)
    job = letters.activation_letters_start(
        compound=compound,
        buildings=list(compound.buildings.all()),
        actor=None,
    )
    _wait(lambda: job.chunks.filter(status=ChunkStatus.RUNNING).count() == 2)
    for child in _pool_children(live_worker.pid):  # kill both processes mid-chunk
        os.kill(child, signal.SIGKILL)
    _wait(lambda: ActivationLetterJob.objects.get(pk=job.pk).status == LetterJobStatus.DONE)
    job.refresh_from_db()
    assert job.done == job.total == 12
    assert max(c.attempts for c in job.chunks.all()) >= 2  # the killed ones ran again
    printed = [_label_and_code(t) for t in _pages(job)]
    labels = [label for label, _code in printed]
    assert len(labels) == len(set(labels)) == 12
    units = {u.label: u for u in compound.units.select_related("building")}
    assert all(_matches_stored(units[label], code) for label, code in printed)
    assert (
        ActivationCode.objects.filter(
            compound=compound, revoked_at__isnull=True, used_at__isnull=True
        ).count()
        == 12
    )
