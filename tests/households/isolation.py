"""URL kwargs of the households app for the isolation walk (tests/isolation.py)."""

from households.masking import mask_name
from households.models import Owner, PropertyRightUnit
from tests.isolation import per_cast, register_kwarg, register_markers


@per_cast
def home_property_right_unit(cast) -> PropertyRightUnit:
    return PropertyRightUnit.objects.create(
        compound=cast.compound, name="home 产权单位甲", receiver="home 接收单位"
    )


register_kwarg("pru_id", lambda cast: home_property_right_unit(cast).pk)
register_markers(lambda cast: [home_property_right_unit(cast).name])
# The register lists (units/, owners/) show names masked to some roles: those masks are
# home data too ("业" and ten stars, then the end of the cell: other compounds' names are longer).
register_markers(
    lambda cast: [
        mask_name(name) + "<"
        for name in Owner.objects.filter(compound=cast.compound).values_list("name", flat=True)
    ]
)


# --- onboarding (issue 11 item 1): a seat of the home compound's committee ---------------


@per_cast
def home_committee_member(cast):
    import datetime as dt

    from households.models import Committee, CommitteeMember, CommitteeRole

    committee = Committee.objects.create(
        compound=cast.compound, formed_on=dt.date(2024, 1, 1), term_end=dt.date(2026, 12, 31)
    )
    return CommitteeMember.objects.create(
        compound=cast.compound,
        committee=committee,
        name="home 委员甲乙",
        role=CommitteeRole.CHAIR,
        term_start=committee.formed_on,
        term_end=committee.term_end,
    )


register_kwarg("member_id", lambda cast: home_committee_member(cast).pk)
register_markers(lambda cast: [home_committee_member(cast).name])


# --- activation letters (issue 11 item 3): a finished job printing building 1 ------------


@per_cast
def home_letter_job(cast):
    from households.services import letters

    job = letters.activation_letters_start(
        compound=cast.compound,
        buildings=letters.letter_buildings(cast.compound, ["1"]),
        actor=cast.committee,
    )
    for chunk_id in job.chunks.values_list("id", flat=True):  # on_commit never runs here
        letters.letter_chunk_render(chunk_id=chunk_id, claim="isolation")
    return job


register_kwarg("job_id", lambda cast: home_letter_job(cast).pk)


# --- committee formations (issue 12 items 5–6): a re-formation under way, one candidate ---


@per_cast
def home_committee_formation(cast):
    import datetime as dt

    from households.services.committee import (
        committee_candidate_add,
        committee_formation_start,
    )

    home_committee_member(cast)  # the committee in office (formed 2024) it will replace
    formation = committee_formation_start(
        compound=cast.compound, announced_on=dt.date(2025, 1, 2), actor=cast.officer
    )
    committee_candidate_add(
        formation=formation, name="home 候选人丙丁", kind="owner", actor=cast.officer
    )
    return formation


register_kwarg("formation_id", lambda cast: home_committee_formation(cast).pk)
register_markers(
    lambda cast: list(home_committee_formation(cast).candidates.values_list("name", flat=True))
)
