"""The certified tally (计票结果): what counting froze in ``Decision.tally_snapshot``.

Counting (``voting.services.decision_count``) stores the tally once; from then on every
reader — the decision page, the public result, the tally API, the report PDF, fees and
agreements — reads this snapshot through :func:`voting.selectors.certified_tally` and never
recounts the ballots, so the published figures cannot drift from the certified ones.

The stored JSON keeps its shape (the API's shape): per item the raw reading's fields at the
top level (areas as decimal strings, ratios as percentages with two decimals), the reading
with non-voters adjusted under ``adjusted`` (or null), and ``passed`` = the lawful reading's
result. :meth:`TallySnapshot.from_json` and :meth:`TallySnapshot.to_json` are exact
inverses over that shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import rules

#: The owner-and-area lines of a reading, in the order the pages show them.
SHARE_FIELDS = (
    "total",
    "participating",
    "consenting",
    "opposing",
    "abstaining",
    "spoiled",
    "not_voted",
)


def _area(text: str) -> int:
    """'60.50' → 6050 (hundredths of m²), the inverse of :func:`rules.area_str`."""
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((frac + "00")[:2]))


@dataclass(frozen=True)
class CheckResult:
    """One CC 278 rule as certified: the ratio (percent, 2 decimals, '—' over an empty
    base) against the threshold as the law words it ('≥ 2/3', '> 1/2')."""

    rule: str  # a rules.Rule value
    threshold: str
    value: str
    passed: bool

    @property
    def label(self) -> str:
        """How the ratio is computed ('同意面积 / 参与表决面积'), for the tally tables."""
        return rules.rule_formula(self.rule)

    @property
    def name(self) -> str:
        """The ratio's name ('同意面积比例'), for prose such as an agreement's reasons."""
        return rules.rule_name(self.rule)

    @classmethod
    def from_check(cls, check: rules.Check) -> CheckResult:
        return cls(check.name, check.threshold_text, rules.percent(check.ratio), check.passed)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckResult:
        return cls(
            rule=data["rule"],
            threshold=data["threshold"],
            value=data["value"],
            passed=bool(data["passed"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "threshold": self.threshold,
            "value": self.value,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Ratios:
    """The four published ratios, as percentages with two decimals ('74.13')."""

    participation_owners: str
    participation_area: str
    consent_owners: str
    consent_area: str

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Ratios:
        return cls(
            participation_owners=data["participation_owners"],
            participation_area=data["participation_area"],
            consent_owners=data["consent_owners"],
            consent_area=data["consent_area"],
        )

    def to_json(self) -> dict[str, str]:
        return {
            "participation_owners": self.participation_owners,
            "participation_area": self.participation_area,
            "consent_owners": self.consent_owners,
            "consent_area": self.consent_area,
        }


@dataclass(frozen=True)
class Reading:
    """One reading of one item (raw, or with non-voters following the majority): owners
    and area (hundredths of m²) per line, the ratios and the checks."""

    total: rules.Share
    participating: rules.Share
    consenting: rules.Share
    opposing: rules.Share
    abstaining: rules.Share
    spoiled: rules.Share
    not_voted: rules.Share
    ratios: Ratios
    checks: tuple[CheckResult, ...]
    passed: bool
    unknown_area_units: int

    @property
    def incomplete(self) -> bool:
        """Some unit in scope had no known area: the area ratios are not final (SPC 8)."""
        return self.unknown_area_units > 0

    def check(self, rule: str) -> CheckResult:
        return next(c for c in self.checks if c.rule == rule)

    @classmethod
    def from_tally(cls, tally: rules.Tally) -> Reading:
        return cls(
            total=tally.total,
            participating=tally.participating,
            consenting=tally.consenting,
            opposing=tally.opposing,
            abstaining=tally.abstaining,
            spoiled=tally.spoiled,
            not_voted=tally.not_voted,
            ratios=Ratios.from_json(tally.percents),
            checks=tuple(CheckResult.from_check(c) for c in tally.checks),
            passed=tally.passed,
            unknown_area_units=tally.unknown_area_units,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reading:
        """``passed`` of a reading is its checks' verdict (an item's top-level ``passed``
        is the lawful reading's, see :class:`ItemResult`)."""
        checks = tuple(CheckResult.from_json(c) for c in data["checks"])

        def share(name: str) -> rules.Share:
            return rules.Share(data[f"{name}_owners"], _area(data[f"{name}_area"]))

        return cls(
            total=share("total"),
            participating=share("participating"),
            consenting=share("consenting"),
            opposing=share("opposing"),
            abstaining=share("abstaining"),
            spoiled=share("spoiled"),
            not_voted=share("not_voted"),
            ratios=Ratios.from_json(data["ratios"]),
            checks=checks,
            passed=all(c.passed for c in checks),
            unknown_area_units=data["unknown_area_units"],
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in SHARE_FIELDS:
            share: rules.Share = getattr(self, name)
            data[f"{name}_owners"] = share.owners
            data[f"{name}_area"] = rules.area_str(share.area)
        data["ratios"] = self.ratios.to_json()
        data["checks"] = [c.to_json() for c in self.checks]
        data["passed"] = self.passed
        data["incomplete"] = self.incomplete
        data["unknown_area_units"] = self.unknown_area_units
        return data


@dataclass(frozen=True)
class ItemResult:
    """The certified result of one item: what was asked (id, position, title, CC 278
    category, scope label — '' for the whole compound) and how it was counted."""

    id: int
    position: int
    title: str
    category: rules.Category
    scope: str
    spoiled_counts_as_participating: bool
    raw: Reading
    adjusted: Reading | None  # only when the adopted rules let non-voters follow (CC 140)

    @property
    def passed(self) -> bool:
        """The lawful reading decides: the adjusted one when the adopted rules allow it."""
        return (self.adjusted or self.raw).passed

    @property
    def category_label(self) -> str:
        return rules.category_label(self.category)

    @property
    def failed_checks(self) -> list[CheckResult]:
        """The rules the lawful reading did not meet (empty when the item passed)."""
        return [c for c in (self.adjusted or self.raw).checks if not c.passed]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemResult:
        adjusted = data.get("adjusted")
        return cls(
            id=data["id"],
            position=data["position"],
            title=data["title"],
            category=rules.Category(data["category"]),
            scope=data["scope"],
            spoiled_counts_as_participating=bool(data["spoiled_counts_as_participating"]),
            raw=Reading.from_json(data),
            adjusted=Reading.from_json(adjusted) if adjusted else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "position": self.position,
            "title": self.title,
            "category": int(self.category),
            "scope": self.scope,
            **self.raw.to_json(),
            "spoiled_counts_as_participating": self.spoiled_counts_as_participating,
            "adjusted": self.adjusted.to_json() if self.adjusted else None,
            "passed": self.passed,
        }


#: Participants per page of the public result page (the roll numbers starting each page
#: are certified with the roll's figures, so any page is read without counting or skipping).
PARTICIPANTS_PER_PAGE = 200


@dataclass(frozen=True)
class RollFigures:
    """The frozen roll as counting found it, so result pages show it without aggregating
    the roll on every request: voters (名册业主人数), their area (hundredths of m²), units
    of unknown area, voters who took part, voters without a registered owner, and the roll
    number that starts each page of :data:`PARTICIPANTS_PER_PAGE` participants."""

    voters: int
    area_sum: int
    unknown_area_units: int
    voted: int
    ownerless: int
    page_starts: tuple[int, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RollFigures:
        return cls(
            voters=data["voters"],
            area_sum=data["area_sum"],
            unknown_area_units=data["unknown_area_units"],
            voted=data["voted"],
            ownerless=data["ownerless"],
            page_starts=tuple(data["page_starts"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "voters": self.voters,
            "area_sum": self.area_sum,
            "unknown_area_units": self.unknown_area_units,
            "voted": self.voted,
            "ownerless": self.ownerless,
            "page_starts": list(self.page_starts),
        }


@dataclass(frozen=True)
class TurnoutFigures:
    """The turnout of one scope as counting found it — the decision's (key "") or one
    item's (its id) — so the turnout page of a counted decision aggregates nothing: the
    summary (voters, their area, voters who took part, units without a registered owner)
    and per building (id, label, voters, area, voters who took part, their area)."""

    voters: int
    area_sum: int
    voted: int
    ownerless: int
    rows: tuple[tuple[int, str, int, int, int, int], ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TurnoutFigures:
        return cls(
            voters=data["voters"],
            area_sum=data["area_sum"],
            voted=data["voted"],
            ownerless=data["ownerless"],
            rows=tuple(
                (int(b), str(label), int(v), int(a), int(vv), int(va))
                for b, label, v, a, vv, va in data["rows"]
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "voters": self.voters,
            "area_sum": self.area_sum,
            "voted": self.voted,
            "ownerless": self.ownerless,
            "rows": [list(row) for row in self.rows],
        }


@dataclass(frozen=True)
class TallySnapshot:
    """The certified tally of one decision: one :class:`ItemResult` per item, by position,
    the roll's figures and the turnout of the decision and of each item (None in snapshots
    counted before they were kept)."""

    decision: int
    state: str  # the decision's state when counted
    items: tuple[ItemResult, ...]
    roll: RollFigures | None = None
    turnout: dict[str, TurnoutFigures] | None = None

    def item(self, item_id: int) -> ItemResult | None:
        return next((i for i in self.items if i.id == item_id), None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TallySnapshot:
        roll = data.get("roll")
        turnout = data.get("turnout")
        return cls(
            decision=data["decision"],
            state=data["state"],
            items=tuple(ItemResult.from_json(i) for i in data["items"]),
            roll=RollFigures.from_json(roll) if roll else None,
            turnout=(
                {key: TurnoutFigures.from_json(t) for key, t in turnout.items()}
                if turnout is not None
                else None
            ),
        )

    def to_json(self) -> dict[str, Any]:
        data = {
            "decision": self.decision,
            "state": self.state,
            "items": [i.to_json() for i in self.items],
        }
        if self.roll is not None:
            data["roll"] = self.roll.to_json()
        if self.turnout is not None:
            data["turnout"] = {key: t.to_json() for key, t in self.turnout.items()}
        return data
