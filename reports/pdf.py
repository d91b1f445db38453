"""HTML -> PDF with WeasyPrint and the bundled fonts; the Jinja2 environment of reports/.

Every PDF the project makes uses the fonts in ``reports/fonts/`` (Noto Serif and Noto Sans,
SIL OFL 1.1, subset to Latin + Vietnamese), declared by ``@font-face`` under their own family
names so the result never depends on the machine's fonts, and embedded (subset) in the PDF.
In CSS write ``font-family: var(--serif)`` or the names ``SERIF`` / ``SANS`` hold.

One WeasyPrint font configuration serves every render of a process (the fonts are parsed
once, and the documents of one batch share their font subsets). It is closed at exit
(`close_fonts`, from ``atexit``) while the modules it needs still exist: left to interpreter
teardown, WeasyPrint's finalizer could no longer remove its temporary font folder.
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import threading
from collections.abc import Iterable, Sequence
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from scoring.numbers import format_vi

if TYPE_CHECKING:  # WeasyPrint loads Pango and cairo: imported on first use, not at start-up
    from weasyprint import CSS
    from weasyprint.document import Document
    from weasyprint.text.fonts import FontConfiguration

__all__ = [
    "FONTS_DIR", "SANS", "SERIF", "base_css", "close_fonts", "environment", "html_to_pdf",
    "merge_documents", "render_document", "render_pdf", "vi_date",
]

FONTS_DIR = Path(__file__).parent / "fonts"
TEMPLATES_DIR = Path(__file__).parent / "templates"
SERIF = "Thidua Serif"
SANS = "Thidua Sans"

_FACES = (
    (SERIF, "NotoSerif-Regular.ttf", "normal", "normal"),
    (SERIF, "NotoSerif-Bold.ttf", "bold", "normal"),
    (SERIF, "NotoSerif-Italic.ttf", "normal", "italic"),
    (SANS, "NotoSans-Regular.ttf", "normal", "normal"),
    (SANS, "NotoSans-Bold.ttf", "bold", "normal"),
    (SANS, "NotoSans-Italic.ttf", "normal", "italic"),
)


def font_face_css() -> str:
    """``@font-face`` rules for the bundled fonts (file URLs), plus ``--serif``/``--sans``."""
    rules = [
        f"@font-face {{ font-family: '{family}'; src: url('{(FONTS_DIR / name).as_uri()}'); "
        f"font-weight: {weight}; font-style: {style}; }}"
        for family, name, weight, style in _FACES
    ]
    rules.append(f":root {{ --serif: '{SERIF}', serif; --sans: '{SANS}', sans-serif; }}")
    rules.append(f"html {{ font-family: '{SERIF}'; }}")
    return "\n".join(rules)


_fonts_lock = threading.Lock()
_loaded: tuple[FontConfiguration, CSS] | None = None
_closing_at_exit = False


def _fonts() -> tuple[FontConfiguration, CSS]:
    """This process's font configuration and font stylesheet, made on first use."""
    global _loaded, _closing_at_exit
    with _fonts_lock:
        if _loaded is None:
            from weasyprint import CSS
            from weasyprint.text.fonts import FontConfiguration

            config = FontConfiguration()
            _loaded = config, CSS(string=font_face_css(), font_config=config)
            if not _closing_at_exit:
                atexit.register(close_fonts)
                _closing_at_exit = True
        return _loaded


def close_fonts() -> None:
    """Drop the font configuration and remove its temporary font files now; the next render
    makes a fresh one. Documents laid out before must be written before."""
    global _loaded
    with _fonts_lock:
        loaded, _loaded = _loaded, None
    if loaded is not None:
        config = loaded[0]
        # WeasyPrint has no close(): its __del__ removes this folder, and does nothing once
        # it is unset, so a reference still held somewhere cannot fail at teardown.
        folder, config._folder = config._folder, None
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def base_css() -> CSS:
    """The shared font stylesheet (parsed once per process)."""
    return _fonts()[1]


def vi_date(day: dt.date, place: str | None = None) -> str:
    """'Cần Thơ, ngày 05 tháng 02 năm 2026': day and month below 10 (month below 3) padded,
    as Vietnamese administrative documents write dates (NĐ 30/2020, appendix I)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text


def _number(value: int | Fraction | None, decimals: int = 2) -> str:
    return "" if value is None else format_vi(value, decimals)


@cache
def environment() -> jinja2.Environment:
    """Templates from ``reports/templates``, HTML-escaped, strict about missing variables."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "svg", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vi_date"] = vi_date
    env.filters["vi_number"] = _number
    return env


def render_document(html: str, *, stylesheets: Sequence[CSS | str] = (),
                    base_url: str | None = None) -> Document:
    """Lay out ``html`` (with the bundled fonts and extra ``stylesheets``) into pages."""
    from weasyprint import CSS, HTML

    config, fonts = _fonts()
    sheets = [fonts] + [s if isinstance(s, CSS) else CSS(string=s, font_config=config)
                        for s in stylesheets]
    return HTML(string=html, base_url=base_url or str(TEMPLATES_DIR)).render(
        stylesheets=sheets, font_config=config)


def merge_documents(documents: Iterable[Document]) -> Document:
    """One document holding every page of ``documents`` in order."""
    docs = list(documents)
    if not docs:
        raise ValueError("không có trang nào để in")
    return docs[0].copy([page for d in docs for page in d.pages])


def html_to_pdf(html: str, *, stylesheets: Sequence[CSS | str] = (),
                base_url: str | None = None) -> bytes:
    """PDF bytes of ``html``; the bundled fonts are embedded (subset)."""
    pdf = render_document(html, stylesheets=stylesheets, base_url=base_url).write_pdf()
    assert pdf is not None
    return pdf


def render_pdf(template: str, context: dict[str, Any], *,
               stylesheets: Sequence[CSS | str] = ()) -> bytes:
    """Render the Jinja2 ``template`` of ``reports/templates`` with ``context`` to PDF."""
    return html_to_pdf(environment().get_template(template).render(**context),
                       stylesheets=stylesheets)
