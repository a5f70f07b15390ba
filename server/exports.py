"""The genogram as a file for the case file: SVG, PNG or PDF, with who exported it and why.

Each export is a read like any page: it asks GraphQL through `Pages.ask` as the signed-in
viewer, so the policy decides what is drawn and the audit log gets one row per person
read, under the operation `export genogram.<ext>`. The drawing is rebuilt from the JSON
answer (`viz.answer.chart_from_answer`) rather than taken from `Genogram.svg`, because
its footer (who, when, for what purpose, as of which extracts, the marking) is made
here, on the server, and never from text a client sent.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import re
import textwrap
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import resvg_py
from fpdf import FPDF
from fpdf.fonts import TTFFont
from PIL import Image
from starlette.requests import Request
from starlette.responses import Response

from server.pages import Pages
from server.policy import Viewer
from server.settings import Mode
from viz.answer import SELECTION, chart_from_answer, extracts_on_chart
from viz.genogram import Chart, svg, uk_date, without_bidi_controls

EXPORT_GENOGRAM = (
    "query GenogramExport($id: ID!, $depth: Int!, $asOf: Date) {\n"
    f"  person(id: $id) {{ id {SELECTION} }}\n}}\n"
)
DEFAULT_DEPTH = 3  # as the genogram page
UK = ZoneInfo("Europe/London")
# Government Security Classifications: personal data about children is OFFICIAL, marked
# OFFICIAL-SENSITIVE for the need-to-know handling a case file gives it.
MARKING = "OFFICIAL-SENSITIVE: personal data from famgraph — store in the case file only"
DEMO_NOTE = "Synthetic demonstration data: no real person is shown"
# Characters to a footer line: the narrowest chart (760 px) holds about 110 at 12 px.
FOOTER_WIDTH = 90

MEDIA = {"svg": "image/svg+xml; charset=utf-8", "png": "image/png", "pdf": "application/pdf"}
RENDER_WORKERS = 2  # PNG and PDF renders at once; more wait their turn
PNG_ZOOM = 2  # twice the drawing's CSS pixels: sharp on a screen and in a document
PRINT_DPI = 300  # the PDF's picture of the chart, at the size it is printed
CSS_PX_MM = 25.4 / 96  # the SVG's units are CSS pixels, 96 to the inch
MARGIN_MM = 10.0
FOOTER_PT = 8.0
# The PDF's text (marking and footer) in a font holding most scripts, where the system has
# one; else the PDF's built-in Helvetica, which holds Latin-1 only.
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),  # Fedora, RHEL
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),  # Arch
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)
_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([0-9.]+)"[^>]*?\bheight="([0-9.]+)"')


@dataclass(frozen=True, slots=True)
class Drawn:
    """One export's drawing: the chart, its footer lines and the SVG made of both."""

    chart: Chart
    footer: tuple[str, ...]
    svg: str


class GenogramExports:
    """`/people/{id}/genogram.svg`, `.png` and `.pdf`: the page's reads, as files."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self._workers: ProcessPoolExecutor | None = None

    async def svg(self, request: Request) -> Response:
        return await self._export(request, "svg")

    async def png(self, request: Request) -> Response:
        return await self._export(request, "png")

    async def pdf(self, request: Request) -> Response:
        return await self._export(request, "pdf")

    async def _export(self, request: Request, ext: str) -> Response:
        pages = self.pages
        operation = f"export genogram.{ext}"
        viewer = await pages._viewer_or_signin(request, EXPORT_GENOGRAM, operation)
        if not isinstance(viewer, Viewer):
            return viewer
        try:
            depth = int(request.query_params.get("depth", str(DEFAULT_DEPTH)))
            as_of_text = request.query_params.get("asOf", "").strip()
            as_of = date.fromisoformat(as_of_text) if as_of_text else None
        except ValueError:
            return pages.render(
                "error.html", request, 400, title="Bad request",
                message="depth must be a whole number and asOf a date, such as 2026-03-09.",
                correlation_id=None,
            )
        variables = {"id": request.path_params["person_id"], "depth": depth,
                     "asOf": as_of.isoformat() if as_of else None}
        data, code, correlation = await pages.ask(viewer, EXPORT_GENOGRAM, variables, operation)
        if data is None:
            return pages.failure(request, code or "INTERNAL", correlation)
        answer = data["person"]["genogram"]
        if answer is None:
            # The family topic is withheld from this viewer: the read is on the audit log
            # (family withheld), and no drawing leaves.
            return pages.render(
                "error.html", request, 403, title="Not permitted",
                message="Your agency's agreement does not share this person's family, so"
                        " there is no genogram to export.",
                correlation_id=correlation,
            )
        drawn = self.drawn(request, viewer, answer)
        body: bytes
        if ext == "svg":
            body = drawn.svg.encode()
        elif ext == "png":
            body = await self.render(png_of, drawn.svg)
        else:
            body = await self.render(pdf_of, drawn)
        person_id = quote(str(data["person"]["id"]), safe="")
        filename = f"genogram-{person_id}-{drawn.chart.as_of.isoformat()}.{ext}"
        return Response(body, media_type=MEDIA[ext], headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            # An SVG opened on its own runs in our origin: let it load and run nothing.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        })

    async def render(self, make: Callable[[Any], bytes], drawing: Any) -> bytes:
        """PNG and PDF in a worker process: resvg holds the interpreter lock for the whole
        render (0.4 s for a large family), which in a thread would stall every request."""
        if self._workers is None:
            # spawn, not fork: the server has threads (the audit writer) a fork would copy
            # mid-flight.
            self._workers = ProcessPoolExecutor(
                max_workers=RENDER_WORKERS, mp_context=multiprocessing.get_context("spawn"))
        return await asyncio.get_running_loop().run_in_executor(self._workers, make, drawing)

    def close(self) -> None:
        if self._workers is not None:
            self._workers.shutdown(wait=True, cancel_futures=True)
            self._workers = None

    def drawn(self, request: Request, viewer: Viewer, answer: Mapping[str, Any]) -> Drawn:
        """The chart from the answer, its footer, and the SVG; links go to famgraph's page
        of each person (for whoever may open them)."""
        chart = chart_from_answer(answer)
        user = self.pages.auth.user(viewer.user)
        lines = footer_lines(
            viewer, user.display_name if user else viewer.user, now_in_uk(), chart.as_of,
            extracts_on_chart(answer), demo=self.pages.settings.mode is Mode.DEMO,
        )
        base = str(request.base_url).rstrip("/")
        drawing = svg(chart, href=lambda pid: f"{base}/people/{quote(pid, safe='')}",
                      footer=lines)
        return Drawn(chart, lines, drawing)


def now_in_uk() -> datetime:
    """The time an export is stamped with; one place, so a test can hold it still."""
    return datetime.now(UK)


def _words(code: str) -> str:
    return code.replace("_", " ")


def footer_lines(viewer: Viewer, display_name: str, at: datetime, as_of: date,
                 extracts: Mapping[str, date | None], *, demo: bool = False) -> tuple[str, ...]:
    """Who exported the chart, for what, when (UK time); as at which day and extracts; and
    the marking; each cut into lines that fit the narrowest chart. Names no one on it.

    >>> from server.policy import Purpose
    >>> viewer = Viewer("sam", "childrens_social_care", "social_worker",
    ...                 Purpose.MASH_SCREENING)
    >>> for line in footer_lines(viewer, "Sam Okafor", datetime(2026, 7, 1, 9, 5, tzinfo=UK),
    ...                          date(2026, 6, 30), {"social_care": date(2026, 6, 29),
    ...                                              "police": date(2026, 6, 29),
    ...                                              "health": None}):
    ...     print(line)
    Exported by Sam Okafor (sam; childrens social care, social worker) for mash screening on
      1 Jul 2026 at 09:05 BST
    Family as at 30 Jun 2026; extracts: police, social care as of 29 Jun 2026; health
      (date not known)
    OFFICIAL-SENSITIVE: personal data from famgraph — store in the case file only
    """
    about = f"{_words(viewer.agency)}, {_words(viewer.role)}"
    display_name = without_bidi_controls(display_name)
    who = (f"{display_name} ({about})" if display_name == viewer.user
           else f"{display_name} ({viewer.user}; {about})")
    purpose = _words(viewer.purpose.value) if viewer.purpose else "no purpose"
    local = at.astimezone(UK)
    by_day: dict[date | None, list[str]] = {}
    for system, day in sorted(extracts.items()):
        by_day.setdefault(day, []).append(_words(system))
    sources = "; ".join(
        f"{', '.join(systems)} as of {_day(day)}" if day else
        f"{', '.join(systems)} (date{NBSP}not{NBSP}known)"
        for day, systems in sorted(by_day.items(), key=lambda item: item[0] or date.max)
    ) or "none shared with you"
    said = [
        f"Exported by {who} for {purpose} on {_day(local.date())} at {local:%H:%M}{NBSP}{local:%Z}",
        f"Family as at {_day(as_of)}; extracts: {sources}",
        MARKING,
        *([DEMO_NOTE] if demo else []),
    ]
    # Dates and times are held together while wrapping (no-break spaces), then let go.
    return tuple(line.replace(NBSP, " ") for text in said
                 for line in textwrap.wrap(text, FOOTER_WIDTH, subsequent_indent="  "))


NBSP = "\u00a0"


def _day(day: date) -> str:
    return uk_date(day).replace(" ", NBSP)


def png_of(drawing: str, zoom: float = PNG_ZOOM) -> bytes:
    """The SVG drawn as a PNG on white, `zoom` device pixels to each CSS pixel. Text is set
    in the system's fonts (Liberation Sans stands in for Arial where it is installed); a
    script no installed font holds is drawn as empty boxes."""
    return resvg_py.svg_to_bytes(
        svg_string=drawing, zoom=zoom, background="#ffffff",
        sans_serif_family="Liberation Sans", font_family="Liberation Sans",
    )


def size_of(drawing: str) -> tuple[float, float]:
    """The SVG's width and height in CSS pixels, from its root element.

    >>> size_of('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600" '
    ...         'width="800" height="600">')
    (800.0, 600.0)
    """
    found = _SIZE.search(drawing)
    if found is None:
        raise ValueError("the drawing has no width and height")
    return float(found.group(1)), float(found.group(2))


@dataclass(frozen=True, slots=True)
class Page:
    """A landscape sheet and the chart's place on it, in millimetres."""

    name: str
    width: float
    height: float
    scale: float  # printed size of a CSS pixel, relative to 1 px = 1/96 inch


SHEETS = (("A4", 297.0, 210.0), ("A3", 420.0, 297.0))


def page_for(width_px: float, height_px: float, footer_lines: int) -> Page:
    """Landscape A4, or A3 when A4 would print the chart under three quarters of its size;
    never enlarged.

    >>> page_for(800, 500, 3).name, page_for(2400, 600, 3).name
    ('A4', 'A3')
    """
    pages = []
    for name, width, height in SHEETS:
        box_w, box_h = _picture_box(width, height, footer_lines)
        scale = min(1.0, box_w / (width_px * CSS_PX_MM), box_h / (height_px * CSS_PX_MM))
        pages.append(Page(name, width, height, scale))
    return next((page for page in pages if page.scale >= 0.75), pages[-1])


def _picture_box(width: float, height: float, footer_lines: int) -> tuple[float, float]:
    """The room the chart has: the sheet less margins, the marking on top, the footer."""
    line = FOOTER_PT * 0.3528 * 1.5
    return width - 2 * MARGIN_MM, height - 2 * MARGIN_MM - line * (footer_lines + 2)


def pdf_of(drawn: Drawn) -> bytes:
    """One landscape page: the marking, the chart as a picture at print resolution, and the
    footer once, as text under it (searchable, read out by a screen reader), not also
    painted into the picture."""
    plain = svg(drawn.chart)
    width_px, height_px = size_of(plain)
    page = page_for(width_px, height_px, len(drawn.footer) + 1)
    zoom = PRINT_DPI * page.scale / 96
    picture = Image.open(io.BytesIO(png_of(plain, zoom))).convert("RGB")
    pdf = FPDF(orientation="landscape", unit="mm", format=page.name)
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_title(f"Genogram {drawn.chart.subject_id} as at {drawn.chart.as_of.isoformat()}")
    pdf.set_creator("famgraph")
    pdf.set_lang("en-GB")
    pdf.add_page()
    fit, note = _font(pdf)
    footer = [*drawn.footer, *([note] if note else [])]
    line = FOOTER_PT * 0.3528 * 1.5
    pdf.set_font_size(FOOTER_PT)
    pdf.cell(0, line, fit(MARKING.split(":")[0]), align="C")
    top = MARGIN_MM + 2 * line
    printed_w = width_px * CSS_PX_MM * page.scale
    printed_h = height_px * CSS_PX_MM * page.scale
    box_w, _ = _picture_box(page.width, page.height, 0)
    pdf.image(picture, x=MARGIN_MM + (box_w - printed_w) / 2, y=top, w=printed_w, h=printed_h,
              alt_text=f"Genogram as at {uk_date(drawn.chart.as_of)}")
    text = "\n".join(fit(without_bidi_controls(said)) for said in footer)
    pdf.set_x(MARGIN_MM)
    rows = pdf.multi_cell(0, line, text, dry_run=True, output="LINES")
    if not isinstance(rows, list):
        raise TypeError("fpdf2 did not return the footer's lines")
    pdf.set_xy(MARGIN_MM, page.height - MARGIN_MM - line * len(rows))
    pdf.multi_cell(0, line, text)
    return bytes(pdf.output())


def _held_by(held: frozenset[int]) -> Callable[[str], str]:
    def fit(text: str) -> str:
        return "".join(ch if ord(ch) in held else "?" for ch in text)

    return fit


def _font(pdf: FPDF) -> tuple[Callable[[str], str], str | None]:
    """Set the PDF's text font; return what makes a line fit it (characters the font lacks
    become "?", never a warning in the log that would quote them) and a note to print when
    the font lacks more than a few scripts."""
    for path in UNICODE_FONTS:
        if path.is_file():
            pdf.add_font("famgraph-sans", "", str(path))
            pdf.set_font("famgraph-sans")
            font = pdf.fonts["famgraph-sans"]
            if isinstance(font, TTFFont):
                return _held_by(frozenset(font.cmap)), None
    pdf.set_font("helvetica")

    def latin(text: str) -> str:
        # Helvetica holds Latin-1: a dash becomes "-", anything else it lacks "?".
        return text.replace("—", "-").replace("–", "-").encode("latin-1", "replace").decode(
            "latin-1")

    return latin, ("No Unicode font was found on the server: characters outside Latin-1 in"
                   " this text show as ?; the picture above shows them.")

