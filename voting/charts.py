"""Server-side inline SVG charts (no CDN, no JavaScript): turnout per building."""

from dataclasses import dataclass

from .selectors import BuildingTurnout

BAR_HEIGHT = 9
ROW_HEIGHT = 26
LABEL_WIDTH = 90
PLOT_WIDTH = 300
#: Buildings per chart in the printed report: 18 rows at the report's scale are about
#: 17 cm tall, so a chart with its legend always fits on one A4 page.
ROWS_PER_PRINTED_CHART = 18


@dataclass
class ChartRow:
    label: str
    y: int
    voters_width: float
    area_width: float
    voter_percent: str
    area_percent: str


@dataclass
class Chart:
    rows: list[ChartRow]
    width: int
    height: int
    label_width: int
    plot_width: int
    two_thirds_x: float


def turnout_chart(turnout: list[BuildingTurnout]) -> Chart:
    """Two bars per building (voters, area) as a share of the building's roll, with a line
    at 2/3 — the participation every item needs."""
    rows = []
    for i, t in enumerate(turnout):
        voters = float(t.voter_ratio or 0)
        area = float(t.area_ratio or 0)
        rows.append(
            ChartRow(
                label=t.label,
                y=10 + i * ROW_HEIGHT,
                voters_width=round(voters * PLOT_WIDTH, 1),
                area_width=round(area * PLOT_WIDTH, 1),
                voter_percent=t.voter_percent,
                area_percent=t.area_percent,
            )
        )
    return Chart(
        rows=rows,
        width=LABEL_WIDTH + PLOT_WIDTH + 110,
        height=20 + len(rows) * ROW_HEIGHT,
        label_width=LABEL_WIDTH,
        plot_width=PLOT_WIDTH,
        two_thirds_x=LABEL_WIDTH + PLOT_WIDTH * 2 / 3,
    )


def turnout_charts(
    turnout: list[BuildingTurnout], per_chart: int = ROWS_PER_PRINTED_CHART
) -> list[Chart]:
    """The turnout chart split into charts of at most ``per_chart`` buildings, so that
    print never cuts one (36 buildings and bungalow areas in 学院南路32号院)."""
    return [turnout_chart(turnout[i : i + per_chart]) for i in range(0, len(turnout), per_chart)]
