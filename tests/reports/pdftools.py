"""Read PDFs back with poppler: text, page sizes in mm, fonts and their embedding."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path


def pdf_text(pdf: Path, *, layout: bool = False) -> str:
    """Text of every page, NFC, whitespace runs collapsed to one space."""
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(pdf), "-"]
    out = subprocess.run(args, check=True, capture_output=True).stdout.decode()
    return " ".join(unicodedata.normalize("NFC", out).split())


def page_sizes_mm(pdf: Path) -> list[tuple[int, int]]:
    """(width, height) of every page in whole millimetres."""
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "100000", str(pdf)], check=True,
                         capture_output=True, text=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out)
    return [(round(float(w) * 25.4 / 72), round(float(h) * 25.4 / 72)) for w, h in sizes]


def fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name, embedded?) for each font pdffonts lists."""
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                         text=True).stdout.splitlines()[2:]
    rows = []
    for line in out:
        cols = line.split()
        # name type [encoding words] emb sub uni object id: emb is the 5th column from the end
        rows.append((cols[0], cols[-5] == "yes"))
    return rows
