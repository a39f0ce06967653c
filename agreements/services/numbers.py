"""Agreement numbers (协议编号): SFXY-<compound code>-<year>-<nnn>, allocated once each."""

from django.db import IntegrityError, transaction

from portal.models import Compound

from ..models import AgreementNumberCounter


def _highest_on_file(compound: Compound, prefix: str) -> int:
    """The highest sequence number an agreement of ``compound`` carries under ``prefix``
    (numbers given before the counter existed count too)."""
    numbers = compound.agreements.filter(number__startswith=prefix).values_list("number", flat=True)
    tails = (number.removeprefix(prefix) for number in numbers)
    return max((int(tail) for tail in tails if tail.isdigit()), default=0)


def _locked_counter(compound: Compound, year: int) -> AgreementNumberCounter:
    """The (compound, year) counter row, created on first use, locked until the caller's
    transaction ends: a second creation waits here for the first to commit."""
    counters = AgreementNumberCounter.objects.select_for_update(of=("self",))
    try:
        return counters.get(compound=compound, year=year)
    except AgreementNumberCounter.DoesNotExist:
        pass
    try:
        with transaction.atomic():  # a savepoint: losing the race to create is not an error
            AgreementNumberCounter.objects.create(compound=compound, year=year)
    except IntegrityError:
        pass
    return counters.get(compound=compound, year=year)


def agreement_number_next(compound: Compound, year: int) -> str:
    """The next number of ``compound`` in ``year``. Call it inside the transaction that
    saves the agreement: the counter row stays locked until that commits, so two
    creations at once get two numbers, and a rolled-back creation gives its number back."""
    prefix = f"SFXY-{compound.code.upper()}-{year}-"
    counter = _locked_counter(compound, year)
    counter.last = max(counter.last, _highest_on_file(compound, prefix)) + 1
    counter.save(update_fields=["last"])
    return f"{prefix}{counter.last:03d}"
