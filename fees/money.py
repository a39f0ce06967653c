"""Pure fee arithmetic: Decimal yuan in, Decimal yuan out, no ORM.

The one rule every figure obeys: for each unit, the owner's part plus each subsidy payer's
part equals area × appraised rate × months, to the fen. We round the appraised total and
the owner's part half-up (two roundings, each on its own line), take the subsidy as their
difference, and split the subsidy among payers by share with the largest-remainder method,
so the payers' parts always add up to the subsidy exactly. Totals are sums of lines, so
they reconcile too.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def to_fen(value: Decimal) -> Decimal:
    """Round half-up to the fen (分)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (whole fen, may be negative) by ``weights`` so the parts sum exactly.

    Largest remainder: every part gets the floor of its exact share in fen, and the fen
    left over go one each to the parts with the largest remainders (ties: earlier first).
    """
    if not weights:
        if total != 0:
            raise ValueError("a non-zero amount cannot be split among no payers")
        return []
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    sign = -1 if total < 0 else 1
    fen_total = int((abs(total) / FEN).to_integral_value())
    if Decimal(fen_total) * FEN != abs(total):
        raise ValueError("total must be a whole number of fen")
    # Exact integer arithmetic: weights as integers over a common power of ten.
    exponents = [Decimal(w).as_tuple().exponent for w in weights]  # finite: all ints
    scale = max(-min(e for e in exponents if isinstance(e, int)), 0)
    ints = [int(Decimal(w).scaleb(scale)) for w in weights]
    weight_sum = sum(ints)
    floors, remainders = [], []
    for w in ints:
        quotient, remainder = divmod(fen_total * w, weight_sum)
        floors.append(quotient)
        remainders.append(remainder)
    left = fen_total - sum(floors)
    order = sorted(range(len(ints)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * Decimal(f) * FEN for f in floors]


@dataclass(frozen=True)
class Split:
    """One unit's bill: the appraised amount and who pays which part of it."""

    appraised: Decimal
    owner: Decimal
    subsidy: Decimal
    payers: tuple[Decimal, ...]

    def __sub__(self, other: "Split") -> "Split":
        """The adjustment from ``other`` (what was billed) to ``self`` (what is due now)."""
        if len(self.payers) != len(other.payers):
            raise ValueError("splits over different payers cannot be compared")
        return Split(
            appraised=self.appraised - other.appraised,
            owner=self.owner - other.owner,
            subsidy=self.subsidy - other.subsidy,
            payers=tuple(a - b for a, b in zip(self.payers, other.payers, strict=True)),
        )

    @property
    def reconciles(self) -> bool:
        return self.owner + sum(self.payers, ZERO) == self.appraised and (
            sum(self.payers, ZERO) == self.subsidy
        )


def split_charge(
    *,
    area: Decimal,
    appraised_rate: Decimal,
    charged_rate: Decimal,
    months: int,
    shares: Sequence[Decimal],
) -> Split:
    """The split of one unit's fee for ``months`` months.

    ``shares`` are the subsidy payers' shares (percent or any positive weights); with no
    payers the charged rate must equal the appraised one (nothing to subsidise).
    """
    if area <= 0:
        raise ValueError("area must be positive")
    if months < 1:
        raise ValueError("months must be at least 1")
    if appraised_rate <= 0 or charged_rate <= 0 or charged_rate > appraised_rate:
        raise ValueError("rates must be positive and charged ≤ appraised")
    appraised = to_fen(area * appraised_rate * months)
    owner = to_fen(area * charged_rate * months)
    subsidy = appraised - owner
    if not shares and subsidy != 0:
        raise ValueError("a subsidy needs at least one payer")
    payers = tuple(allocate(subsidy, shares)) if shares else ()
    return Split(appraised=appraised, owner=owner, subsidy=subsidy, payers=payers)


def sum_splits(splits: Sequence[Split], payer_count: int) -> Split:
    """Column totals of many splits over the same payers."""
    payers = [ZERO] * payer_count
    appraised = owner = subsidy = ZERO
    for s in splits:
        appraised += s.appraised
        owner += s.owner
        subsidy += s.subsidy
        for i, p in enumerate(s.payers):
            payers[i] += p
    return Split(appraised=appraised, owner=owner, subsidy=subsidy, payers=tuple(payers))


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """``part / whole`` in percent, half-up to 2 places (0.00 when ``whole`` is 0)."""
    if not whole:
        return ZERO
    return to_fen(Decimal(part) * HUNDRED / Decimal(whole))
