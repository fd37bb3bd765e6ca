"""Charts of the report as standalone SVG, built by hand: no script, no font download, the same bytes for
the same figures (no chart library's ids or timestamps), and they print sharp in the PDF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from preserie import french as fr
from preserie.domain.results import WeekCounts

COLOURS = {"ok": "#2e7d32", "software": "#c62828", "authentication": "#6a1b9a", "not_found": "#8d6e63",
           "teleservice": "#ef6c00", "network": "#546e7a"}
INK, GRID, ACCENT, THRESHOLD = "#263238", "#cfd8dc", "#1565c0", "#c62828"
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def _n(value: float) -> str:
    """Coordinates with one decimal: short, and stable from one run to the next."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" {FONT} font-size="11"><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11, fill: str = INK,
          weight: str = "normal") -> str:
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
            f'font-weight="{weight}">{escape(text)}</text>')


def weekly_rate(practitioner: str, weeks: Sequence[WeekCounts], threshold: float) -> str:
    """One doctor's weekly share of e-prescriptions, with the threshold line."""
    width, height, left, right, top, bottom = 300, 130, 36, 22, 20, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    body = [_text(left, 13, practitioner, weight="bold")]
    for level in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - level)
        body.append(f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y + 4, fr.percent(level, 0), anchor="end", size=9))
    y = top + plot_h * (1 - threshold)
    body.append(f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="{THRESHOLD}" '
                'stroke-dasharray="4 3"/>')
    points = []
    step = plot_w / max(len(weeks) - 1, 1)
    for i, week in enumerate(weeks):
        x = left + i * step if len(weeks) > 1 else left + plot_w / 2
        total = week.total
        if total:
            rate = week.digital / total
            points.append((x, top + plot_h * (1 - rate)))
        if i == 0 or i == len(weeks) - 1 or len(weeks) <= 8:
            body.append(_text(x, height - 8, fr.short_date(week.week)[:5], anchor="middle", size=9))
    if points:
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
        body += [f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.5" fill="{ACCENT}"/>' for x, y in points]
    else:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "aucune prescription", anchor="middle"))
    return _svg(width, height, f"Taux hebdomadaire d'ordonnances numériques de {practitioner}", body)


def bars(title: str, items: Sequence[tuple[str, float, str]], maximum: float, value_text: Sequence[str],
         marker: float | None = None) -> str:
    """Horizontal bars: (label, value, colour) each, with its value written at the end."""
    width, label_w, row_h, top = 560, 150, 24, 8
    plot_w = width - label_w - 90
    height = top * 2 + row_h * len(items)
    body = []
    for i, ((label, value, colour), shown) in enumerate(zip(items, value_text, strict=True)):
        y = top + i * row_h
        length = plot_w * (value / maximum) if maximum else 0
        body.append(_text(label_w - 8, y + 15, label, anchor="end"))
        body.append(f'<rect x="{label_w}" y="{_n(y + 4)}" width="{_n(length)}" height="{row_h - 8}" '
                    f'fill="{colour}"/>')
        body.append(_text(label_w + length + 6, y + 15, shown))
    if marker is not None and maximum:
        x = label_w + plot_w * marker / maximum
        body.append(f'<line x1="{_n(x)}" y1="{top - 4}" x2="{_n(x)}" y2="{height - top + 4}" stroke="{THRESHOLD}" '
                    'stroke-dasharray="4 3"/>')
    return _svg(width, height, title, body)


def stacked(title: str, rows: Sequence[tuple[str, Sequence[tuple[str, int]]]], labels: dict[str, str]) -> str:
    """One 100 % bar per row, split by class, and a legend."""
    width, label_w, row_h, top = 600, 90, 26, 8
    plot_w = width - label_w - 20
    height = top + row_h * len(rows) + 40
    body = []
    for i, (label, parts) in enumerate(rows):
        y = top + i * row_h
        total = sum(n for _, n in parts)
        body.append(_text(label_w - 8, y + 16, label, anchor="end"))
        x = float(label_w)
        for name, count in parts:
            if total and count:
                length = plot_w * count / total
                body.append(f'<rect x="{_n(x)}" y="{_n(y + 4)}" width="{_n(length)}" height="{row_h - 8}" '
                            f'fill="{COLOURS[name]}"><title>{escape(labels[name])} : {fr.integer(count)}</title>'
                            "</rect>")
                x += length
        if not total:
            body.append(_text(label_w, y + 16, "aucun appel"))
    legend_y = top + row_h * len(rows) + 20
    x = float(label_w)
    for name, label in labels.items():
        body.append(f'<rect x="{_n(x)}" y="{legend_y - 9}" width="10" height="10" fill="{COLOURS[name]}"/>')
        body.append(_text(x + 14, legend_y, label, size=10))
        x += 14 + 6 * len(label) + 12
    return _svg(width, height, title, body)


def weekly_rate_interval(practitioner: str, weeks: Sequence[WeekCounts], threshold: float,
                         summary: str = "") -> str:
    """One doctor's weekly share of e-prescriptions with each week's 95 % Wilson interval (a whisker) against the
    threshold line; hovering a week shows its figures (its `<title>`), for the web pages."""
    from preserie.domain.stats import wilson_interval

    width, height, left, right, top, bottom = 340, 170, 38, 14, 34, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    body = [_text(4, 14, practitioner, weight="bold", size=12)]
    if summary:
        body.append(_text(4, 27, summary, size=10))
    for level in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - level)
        body.append(f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y + 4, fr.percent(level, 0), anchor="end", size=9))
    y = top + plot_h * (1 - threshold)
    body.append(f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="{THRESHOLD}" '
                f'stroke-width="1.5" stroke-dasharray="5 3"><title>seuil : {escape(fr.percent_auto(threshold))}'
                '</title></line>')
    slot = plot_w / max(len(weeks), 1)
    points, weeks_drawn = [], []
    for i, week in enumerate(weeks):
        x = left + slot * (i + 0.5)
        hover = (f'<rect x="{_n(x - slot / 2)}" y="{top}" width="{_n(slot)}" height="{plot_h}" fill="#ffffff" '
                 'fill-opacity="0"/>')
        label = f"semaine du {fr.date(week.week)}"
        if week.total:
            rate = week.digital / week.total
            low, high = wilson_interval(week.digital, week.total) or (rate, rate)
            tip = (f"{label} : {fr.integer(week.digital)} ordonnance(s) numérique(s) sur "
                   f"{fr.integer(week.total)} prescription(s), {fr.percent(rate)} ; IC 95 % "
                   f"{fr.percent(low, 0)} – {fr.percent(high, 0)}")
            cy = top + plot_h * (1 - rate)
            points.append((x, cy))
            weeks_drawn.append(f'<g><title>{escape(tip)}</title>{hover}'
                               f'<line x1="{_n(x)}" y1="{_n(top + plot_h * (1 - high))}" x2="{_n(x)}" '
                               f'y2="{_n(top + plot_h * (1 - low))}" stroke="{ACCENT}" stroke-opacity="0.45" '
                               f'stroke-width="3"/><circle cx="{_n(x)}" cy="{_n(cy)}" r="3" fill="{ACCENT}"/></g>')
        else:
            weeks_drawn.append(f"<g><title>{escape(label)} : aucune prescription</title>{hover}</g>")
        if len(weeks) <= 8 or i in (0, len(weeks) - 1) or i % max(len(weeks) // 6, 1) == 0:
            body.append(_text(x, height - 8, fr.short_date(week.week)[:5], anchor="middle", size=9))
    if len(points) > 1:
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="1.5"/>')
    if not points:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "aucune prescription", anchor="middle"))
    return _svg(width, height, f"Taux hebdomadaire d'ordonnances numériques de {practitioner}, avec l'intervalle "
                "de confiance à 95 % de chaque semaine", body + weeks_drawn)


def timeline(title: str, rows: Sequence[tuple[str, Sequence[tuple[dt.date, dt.date, str]], str]],
             first: dt.date, last: dt.date) -> str:
    """One line per row: (label, its spans (from, to, colour), what hovering it says), on a calendar from
    ``first`` to ``last`` with a tick at each month's first day."""
    width, label_w, row_h, top, right = 900, 90, 22, 22, 14
    plot_w = width - label_w - right
    height = top + row_h * len(rows) + 12
    days = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return label_w + plot_w * (min(max(day, first), last) - first).days / days

    body = []
    months = []
    month = dt.date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    every = max(1, round(len(months) * 70 / plot_w + 0.5))  # a label every ~70 px at most
    for i, month in enumerate(months):
        body.append(f'<line x1="{_n(x(month))}" y1="{top - 6}" x2="{_n(x(month))}" y2="{height - 8}" '
                    f'stroke="{GRID}"/>')
        if i % every == 0:
            body.append(_text(x(month) + 3, top - 9, f"{fr.MONTHS[month.month - 1][:4]}. {month.year}", size=9))
    if not months or x(months[0]) - label_w > 70:  # the first day's date, where no month's label stands
        body.append(_text(label_w, top - 9, fr.short_date(first.isoformat()), size=9))
    for i, (label, spans, tip) in enumerate(rows):
        y = top + i * row_h
        parts = [f'<rect x="0" y="{_n(y)}" width="{width}" height="{row_h}" fill="#ffffff" fill-opacity="0"/>',
                 _text(label_w - 8, y + 15, label, anchor="end")]
        for start, end, colour in spans:
            length = max(x(end) - x(start), 3)
            parts.append(f'<rect x="{_n(x(start))}" y="{_n(y + 5)}" width="{_n(length)}" height="{row_h - 10}" '
                         f'fill="{colour}"/>')
        body.append(f"<g><title>{escape(tip)}</title>{''.join(parts)}</g>")
    return _svg(width, height, title, body)
