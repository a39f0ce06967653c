"""Server-side inline SVG charts (no CDN, no JavaScript)."""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def rate_line_chart(
    points: Sequence[tuple[str, Decimal]],
    *,
    target: Decimal | None = Decimal("80"),
    title: str = "",
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """A line of percentages (0–100) over labelled steps, with an optional target line."""
    left, right, top, bottom = 40, 10, 20, 30
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(value: Decimal) -> float:
        return top + plot_h * (1 - float(min(max(value, Decimal(0)), Decimal(100))) / 100)

    step = plot_w / max(len(points) - 1, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 20, 40, 60, 80, 100):
        ty = y(Decimal(tick))
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#d9e2ec" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#616e7c">{tick}%</text>'
        )
    if target is not None:
        ty = y(target)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#b54708" stroke-dasharray="4 3" stroke-width="1.5"/>'
        )
    coords = [(left + i * step, y(v)) for i, (_label, v) in enumerate(points)]
    if coords:
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#175cd3" stroke-width="2.5"/>')
    for (label, value), (x, yy) in zip(points, coords, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3.5" fill="#175cd3">'
            f"<title>{escape(label)}: {value}%</title></circle>"
            f'<text x="{x:.1f}" y="{height - 10}" font-size="11" text-anchor="middle" '
            f'fill="#616e7c">{escape(label)}</text>'
        )
    if points:
        x, yy = coords[-1]
        parts.append(
            f'<text x="{x - 4:.1f}" y="{yy - 8:.1f}" font-size="12" text-anchor="end" '
            f'fill="#1f2933">{points[-1][1]}%</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text part above is escaped
