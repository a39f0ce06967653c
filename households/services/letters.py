"""Activation letters (开通通知书): per building, one letter per household (unit) with a
current owner, printed as building print files by households.printing, the machinery of
the fee notices.

Where the codes come from. A code's plaintext must never be stored, yet the letter prints
it. So the codes are issued by the task that renders a part, in one transaction with a
check that the task still holds its chunk: the plaintext lives only in the worker's memory
and the PDF. Starting a job revokes at once the open codes of every household it covers
(old letters stop working as soon as a reprint is asked for); each part then revokes
whatever is open for its households and issues new codes, so a part rendered twice
(its worker died, the chunk was taken over) leaves only the codes of the file that was
kept valid. A co-owned unit gets one letter and one code; any current co-owner
activates with it (households.services.activation).
"""

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.codes import IssuedCode, code_issue
from portal.models import Compound

from ..models import (
    ActivationCode,
    ActivationLetterChunk,
    ActivationLetterJob,
    Building,
    CommitteeRole,
    LetterJobStatus,
    Ownership,
    Unit,
)
from ..printing import BuildingPrint, PrintSettings, RenderedPart

if TYPE_CHECKING:
    from django.db.models import QuerySet

#: The task that renders one chunk of letters (queued by name).
RENDER_TASK = "households.tasks.render_letter_chunk"
#: More building numbers than a compound can have in one request is a mistake (or worse).
MAX_BUILDINGS = 500


def _user(actor: AbstractBaseUser | AnonymousUser | None) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def _owned_units(compound: Compound, building_ids: list[int]) -> "QuerySet[Unit]":
    """Units of those buildings with at least one current owner, in the order of the
    register's unit list (and of the letters in a building file)."""
    owned = Ownership.objects.current().filter(unit_id=OuterRef("pk"))
    return (
        compound.units.filter(building_id__in=building_ids)
        .filter(Exists(owned))
        .order_by("building__sort_key", "building__number", "number", "id")
    )


def letter_buildings(compound: Compound, numbers: Any) -> list[Building]:
    """The compound's buildings named by ``numbers`` (building numbers as on the
    register), or a ValidationError saying what is wrong: not a list, empty, too long,
    not text, or a number the compound does not have (another compound's building is
    just as unknown here)."""
    if not isinstance(numbers, list | tuple):
        raise ValidationError({"buildings": _('请以列表给出楼号，例如 ["16"]')})
    if not numbers:
        raise ValidationError({"buildings": _("请至少选择一个楼栋")})
    if len(numbers) > MAX_BUILDINGS:
        raise ValidationError({"buildings": _("一次最多 %(n)s 个楼栋") % {"n": MAX_BUILDINGS}})
    if not all(isinstance(n, str) and 0 < len(n) <= 20 for n in numbers):
        raise ValidationError({"buildings": _('楼号须为文字，例如 "16"')})
    wanted = list(dict.fromkeys(n.strip() for n in numbers))
    found = {b.number: b for b in compound.buildings.filter(number__in=wanted)}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise ValidationError(
            {
                "buildings": _("本小区没有这些楼栋：%(numbers)s")
                % {"numbers": "、".join(unknown[:20])}
            }
        )
    return [found[n] for n in wanted]


@transaction.atomic
def activation_letters_start(
    *, compound: Compound, buildings: list[Building], actor: AbstractBaseUser | AnonymousUser | None
) -> ActivationLetterJob:
    """Start printing the activation letters of ``buildings`` (of ``compound``): revoke
    the open codes of their households at once, fix which households get a letter and
    plan the building print files. Queue the chunks after the commit (in the embedded
    mode they are rendered before this returns to the page or the API)."""
    if not buildings or any(b.compound_id != compound.pk for b in buildings):
        raise ValidationError({"buildings": _("本小区没有这些楼栋")})
    now = timezone.now()
    job = ActivationLetterJob.objects.create(
        compound=compound,
        status=LetterJobStatus.QUEUED,
        requested_by=_user(actor),
        created_at=now,
    )
    job.buildings.set(buildings)
    units: dict[int, list[int]] = {}
    for unit_id, building_id in _owned_units(compound, [b.pk for b in buildings]).values_list(
        "id", "building_id"
    ):
        units.setdefault(building_id, []).append(unit_id)
    total = sum(len(ids) for ids in units.values())
    revoked = ActivationCode.objects.filter(
        compound=compound,
        unit__building__in=buildings,
        used_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now)
    order = [b.pk for b in sorted(buildings, key=lambda b: (b.sort_key, b.number))]

    def unit_ids(building_id: int, offset: int, size: int | None) -> dict[str, Any]:
        ids = units[building_id]
        return {"unit_ids": ids[offset : offset + size] if size is not None else ids}

    letter_print().plan(
        compound=compound,
        job=job,
        households=[(b, len(units[b])) for b in order if b in units],
        extra=unit_ids,
    )
    job.total = total
    if total == 0:
        job.status = LetterJobStatus.DONE
    job.save(update_fields=["total", "status"])
    audit_record(
        action="households.activation_letters_start",
        actor=_user(actor),
        compound=compound,
        obj=job,
        data={
            "buildings": [b.number for b in buildings],
            "letters": total,
            "codes_revoked": revoked,
        },
    )
    letter_print().requeue(job_id=job.pk)
    return job


def letter_chunk_render(*, chunk_id: int, claim: str) -> bool:
    """Render one part of a building's letters (issuing their codes) or join a building's
    parts, exactly once per claim (households.printing.BuildingPrint.render)."""
    return letter_print().render(chunk_id=chunk_id, claim=claim)


def letter_job_fail(*, chunk_id: int) -> None:
    """The task gave up on a chunk (its retries ran out): the job is failed, shown so on
    its page and in the API; printing again starts a new job."""
    ActivationLetterJob.objects.filter(
        chunks__pk=chunk_id, status__in=[LetterJobStatus.QUEUED, LetterJobStatus.RUNNING]
    ).update(status=LetterJobStatus.FAILED)


def letter_chunks_requeue(*, job: ActivationLetterJob) -> tuple[int, int]:
    """Queue again the chunks of ``job`` whose task may be lost ("continue")."""
    return letter_print().requeue(job_id=job.pk)


def letter_chunks_requeue_stalled() -> int:
    """The beat's re-queue of stalled letter chunks."""
    return letter_print().requeue_stalled()


def _issue_codes(
    units: list[Unit], *, compound: Compound, actor_id: int | None, now: dt.datetime
) -> dict[int, IssuedCode]:
    """A new code per unit (their open codes revoked), stored hashed; the plaintexts are
    returned to be printed and forgotten. Selectors are unique across all codes ever
    issued: a collision with a stored one is drawn again."""
    ActivationCode.objects.filter(
        unit__in=units, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    codes = {unit.pk: code_issue() for unit in units}
    while True:
        selectors = [c.selector for c in codes.values()]
        taken = set(
            ActivationCode.objects.filter(selector__in=selectors).values_list("selector", flat=True)
        )
        seen: set[str] = set()
        clash = []
        for unit_id, code in codes.items():
            if code.selector in taken or code.selector in seen:
                clash.append(unit_id)
            seen.add(code.selector)
        if not clash:
            break
        for unit_id in clash:
            codes[unit_id] = code_issue()
    expires = now + dt.timedelta(days=settings.ACTIVATION_CODE_DAYS)
    ActivationCode.objects.bulk_create(
        ActivationCode(
            compound=compound,
            unit_id=unit_id,
            selector=code.selector,
            secret_hash=code.secret_hash,
            issued_by_id=actor_id,
            created_at=now,
            expires_at=expires,
        )
        for unit_id, code in codes.items()
    )
    return codes


def _render_letter_part(chunk: ActivationLetterChunk, claim: str) -> RenderedPart:
    """One part: issue its households' codes (only while this task holds the chunk) and
    lay their letters out as one PDF."""
    from .. import pdf, selectors

    job = chunk.job
    compound = job.compound
    now = timezone.now()
    with transaction.atomic():
        if not letter_print().claim_held(chunk, claim, lock=True):
            return RenderedPart(pdf=None, handled=0, printed=0)
        ActivationLetterJob.objects.filter(pk=job.pk, status=LetterJobStatus.QUEUED).update(
            status=LetterJobStatus.RUNNING
        )
        units = list(
            compound.units.filter(pk__in=chunk.unit_ids)
            .select_related("building")
            .prefetch_related(selectors.current_ownerships())
            .order_by("building__sort_key", "building__number", "number", "id")
        )
        codes = _issue_codes(units, compound=compound, actor_id=job.requested_by_id, now=now)
    letters = [
        pdf.Letter(
            unit_label=unit.label,
            owners=[o.owner.name for o in unit.current_ownerships],  # type: ignore[attr-defined]
            code=codes[unit.pk].printed,
        )
        for unit in units
    ]
    expires = timezone.localdate(now + dt.timedelta(days=settings.ACTIVATION_CODE_DAYS))
    content = (
        pdf.render_letters(compound, letters, expires_on=expires, contact=letter_contact(compound))
        if letters
        else None
    )
    return RenderedPart(pdf=content, handled=len(units), printed=len(letters))


def letter_contact(compound: Compound) -> str:
    """Whom a household asks about its letter: the committee (its chair by name) and the
    street office."""
    chair = (
        compound.committee_members.filter(role=CommitteeRole.CHAIR)
        .order_by("-term_end")
        .values_list("name", flat=True)
        .first()
    )
    committee = _("%(compound)s物业管理委员会") % {"compound": compound.name}
    if chair:
        committee += _("（主任 %(name)s）") % {"name": chair}
    return f"{committee}；{compound.street_office.name}"


def _letter_dir(chunk: ActivationLetterChunk) -> str:
    return f"households/letters/{chunk.job.compound.code}/job-{chunk.job_id}"


@cache
def letter_print() -> BuildingPrint:
    """The activation letters' print job (households.printing)."""
    return BuildingPrint(
        name="letter",
        chunk_model=ActivationLetterChunk,
        job_model=ActivationLetterJob,
        job_field="job",
        count_field="letters",
        done_field="done",
        status_field="status",
        running=LetterJobStatus.RUNNING,
        done=LetterJobStatus.DONE,
        task=RENDER_TASK,
        render_part=_render_letter_part,
        file_dir=_letter_dir,
        settings=PrintSettings(),
        waiting=(LetterJobStatus.QUEUED,),
    )
