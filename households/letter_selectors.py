"""Reads of the activation letters' pages and API: buildings to print, jobs and files."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch

from portal.models import Compound

from .models import ActivationCode, ActivationLetterChunk, ActivationLetterJob, Ownership
from .printing import BUILDING_FILE, ChunkStatus

#: The history shows this many of the latest jobs.
HISTORY = 20


@dataclass(frozen=True)
class LetterBuilding:
    """A building to choose: how many households get a letter, how many hold an open
    code (printed before and neither used nor revoked) and how many have activated."""

    pk: int
    number: str
    label: str
    households: int
    open_codes: int
    activated: int


def letter_buildings(compound: Compound) -> list[LetterBuilding]:
    """Every building of ``compound`` with its counts: three grouped queries, whatever the
    number of buildings and units."""
    owned = Ownership.objects.current().filter(unit_id=OuterRef("pk"))
    households = dict(
        compound.units.filter(Exists(owned))
        .values("building_id")
        .annotate(n=Count("id"))
        .values_list("building_id", "n")
    )
    codes = ActivationCode.objects.filter(compound=compound).values("unit__building_id")
    open_codes = dict(
        codes.filter(used_at__isnull=True, revoked_at__isnull=True)
        .annotate(n=Count("id"))
        .values_list("unit__building_id", "n")
    )
    activated = dict(
        codes.filter(used_at__isnull=False)
        .annotate(n=Count("unit_id", distinct=True))
        .values_list("unit__building_id", "n")
    )
    return [
        LetterBuilding(
            b.pk,
            b.number,
            b.label,
            households.get(b.pk, 0),
            open_codes.get(b.pk, 0),
            activated.get(b.pk, 0),
        )
        for b in compound.buildings.order_by("sort_key", "number")
    ]


def building_files() -> Prefetch:
    """Prefetch of a job's finished building files, in building order (``files``)."""
    return Prefetch(
        "chunks",
        queryset=ActivationLetterChunk.objects.filter(BUILDING_FILE, status=ChunkStatus.DONE)
        .exclude(file="")
        .select_related("building")
        .order_by("building__sort_key", "building__number"),
        to_attr="files",
    )


def letter_jobs(compound: Compound) -> list[ActivationLetterJob]:
    """The latest jobs of ``compound`` with their buildings and files (constant queries)."""
    return list(
        compound.activation_letter_jobs.select_related("requested_by")
        .prefetch_related("buildings", building_files())
        .order_by("-created_at", "-id")[:HISTORY]
    )


def job_files(job: ActivationLetterJob) -> list[ActivationLetterChunk]:
    """The job's finished building files, in building order."""
    return list(
        job.chunks.filter(BUILDING_FILE, status=ChunkStatus.DONE)
        .exclude(file="")
        .select_related("building")
        .order_by("building__sort_key", "building__number")
    )
