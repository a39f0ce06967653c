"""The tally report PDF holds together on paper: with the 36 buildings and bungalow areas of
学院南路32号院, every one appears in the chart, each chart shares its page with its legend,
a table continued on a new page repeats its header, and the counters, scrutineers and
notary have lines to sign on. Read back from the real PDF with pypdf."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from households.models import AreaSource, Building, BuildingKind, Owner, Ownership, Unit
from voting import charts, selectors, services

from .helpers import make_decision, publish

BUNGALOWS = [f"平房{n}区" for n in "一二三四五六七八九十"] + ["平房十一区"]
LEGEND = "虚线：三分之二"


def _label_re(label: str) -> re.Pattern:
    return re.compile(rf"(?<![\d十]){re.escape(label)}")


@pytest.fixture
def demo_like(cast):
    """Buildings 3–25 and the 11 bungalow areas added to the two of the home compound."""
    compound = cast.compound
    specs = [
        (str(n), BuildingKind.HIGH_RISE if n > 20 else BuildingKind.LOW_RISE, n)
        for n in range(3, 26)
    ] + [(name, BuildingKind.BUNGALOW, 10_000 + i) for i, name in enumerate(BUNGALOWS, 1)]
    for number, kind, sort_key in specs:
        building = Building.objects.create(
            compound=compound, number=number, kind=kind, floors=6, sort_key=sort_key
        )
        unit = Unit.objects.create(
            compound=compound,
            building=building,
            number="0101",
            floor_area=Decimal("55.00"),
            area_source=AreaSource.REGISTERED,
        )
        owner = Owner.objects.create(compound=compound, name=f"业主-{number}")
        Ownership.objects.create(
            compound=compound, unit=unit, owner=owner, valid_from=dt.date(2020, 1, 1)
        )
    return compound


def test_report_keeps_every_building_its_legend_and_signature_lines(cast, demo_like):
    decision = make_decision(cast)
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    services.ballot_cast(
        decision=decision,
        entry=entry,
        user=cast.resident,
        choices={decision.items.get().pk: "agree"},
    )
    decision = publish(decision, cast)
    services.tally_report_request(decision=decision, actor=cast.committee)
    services.tally_report_render(decision_id=decision.pk)
    decision.refresh_from_db()
    pages = [
        re.sub(r"\s+", " ", p.extract_text())
        for p in PdfReader(io.BytesIO(decision.report_file.read())).pages
    ]
    text = " ".join(pages)
    turnout = selectors.turnout_by_building(decision)
    labels = [t.label for t in turnout]
    assert len(labels) == 36 and labels[-1] == "平房十一区"
    for label in labels:  # once in the table, once in the chart
        assert len(_label_re(label).findall(text)) == 2, label
    # Each chart is on the page of its legend, all of its buildings with it.
    chunks = charts.turnout_charts(turnout)
    assert len(chunks) > 1
    legend_pages = [i for i, page in enumerate(pages) for _ in range(page.count(LEGEND))]
    assert len(legend_pages) == len(chunks)
    for chart, page in zip(chunks, legend_pages, strict=True):
        for row in chart.rows:
            assert _label_re(row.label).search(pages[page]), (row.label, page)
    # A page with rows of the turnout table carries the table's header.
    for page in pages:
        if re.search(r"(号楼|区) \d+ / \d+ ", page):
            assert "参与人数" in page
    for line in ("计票人（签字）", "监票人（签字）", "公证员（签字）"):
        assert line in text
