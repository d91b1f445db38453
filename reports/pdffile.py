"""PDF rendering of a `Report` (WeasyPrint, the bundled Vietnamese fonts embedded).

A4 landscape, the title (campaign, scope, date) on top, one section per table, the header
row repeated on every page, page numbers at the foot.
"""

from __future__ import annotations

from .pdf import SANS, environment, html_to_pdf
from .tables import Report, cell_text, title_line

__all__ = ["report_pdf"]

_CSS = f"""
@page {{ size: A4 landscape; margin: 12mm 10mm 14mm;
  @bottom-right {{ content: "Trang " counter(page) "/" counter(pages); font-size: 8pt; }} }}
html {{ font-family: '{SANS}'; font-size: 8.5pt; }}
h1 {{ font-size: 12pt; margin: 0 0 4mm; }} h2 {{ font-size: 10pt; margin: 5mm 0 2mm; }}
section + section {{ break-before: page; }}
table {{ border-collapse: collapse; width: 100%; }}
thead {{ display: table-header-group; }}
th {{ background: #e8efe9; text-align: left; }}
th, td {{ border: 0.4pt solid #999; padding: 1pt 3pt; }}
td.n {{ text-align: right; }}
tr {{ break-inside: avoid; }}
"""


def report_pdf(report: Report) -> bytes:
    """The PDF bytes of `report`."""
    tables = []
    for t in report.tables:
        kinds = [c.kind for c in t.columns]
        tables.append({
            "name": t.name,
            "columns": t.columns,
            "numeric": [k != "text" for k in kinds],
            "rows": ([cell_text(v, k) for v, k in zip(row, kinds, strict=False)] for row in t.rows),
        })
    html = environment().get_template("table_pdf.html").render(
        title=title_line(report), tables=tables)
    return html_to_pdf(html, stylesheets=[_CSS])
