"""The test factories themselves: a neighbour's masked identifiers never look like home's."""

from households.masking import mask_id_number, mask_phone
from households.models import Owner


def _masked(compound) -> set[str]:
    owners = Owner.objects.filter(compound=compound)
    return {mask_id_number(o.id_number) for o in owners} | {mask_phone(o.phone) for o in owners}


def test_each_compound_of_the_cast_has_its_own_identifiers_raw_and_masked(cast):
    compounds = [cast.compound, cast.other_compound, cast.far_compound]
    masked = [_masked(c) for c in compounds]
    assert all(masked)
    for i, one in enumerate(masked):
        for other in masked[i + 1 :]:
            assert not one & other
    ids = list(Owner.objects.exclude(id_number="").values_list("id_number", flat=True))
    assert len(ids) == len(set(ids)) and {len(i) for i in ids} == {18}
    # Home keeps the values other tests quote.
    assert Owner.objects.get(compound=cast.compound, name="业主-home-1-1").id_number == (
        "110101198001010101"
    )
