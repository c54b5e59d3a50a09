"""Tables of text PDFs (pattern ①) read with pdfplumber into the scorer's Workbook, one
sheet per table; a table that goes on over several pages, its header repeated, is one
sheet. Text above a table (its title, units) comes first as rows of one cell, so it is moved
to the description like any title. A PDF of page images has no text: it needs OCR, and
nothing is made up for it."""
from __future__ import annotations

import bisect
import io
from typing import Any

from ckanext.tdpf.lib.rating.readers import Sheet, UnreadableFile, Workbook

MAX_PAGES = 500


def read_pdf(content: bytes) -> Workbook:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    from . import PrepError

    try:
        pdf = pdfplumber.open(io.BytesIO(content))
        pages = pdf.pages
    except PDFPasswordIncorrect as error:
        raise PrepError("encrypted") from error
    except Exception as error:  # pdfminer's errors of damaged files
        if "password" in str(error).lower() or "encrypt" in str(error).lower():
            raise PrepError("encrypted") from error
        raise UnreadableFile("malformed_pdf", str(error)) from error
    book = Workbook("pdf", [])
    chars = 0
    with pdf:
        if len(pages) > MAX_PAGES:
            raise PrepError("too_large")
        for number, page in enumerate(pages, start=1):
            chars += len(page.chars)
            top = 0.0
            found_tables = page.find_tables() or _unruled(page)
            for found in found_tables:
                rows = [_row(row) for row in found.extract()]
                rows = [row for row in rows if any(v is not None for v in row)]
                if not rows:
                    continue
                above = _text_lines(page, top, found.bbox[1])
                top = found.bbox[3]
                previous = book.sheets[-1] if book.sheets else None
                if previous is not None and not above and previous.rows and \
                        _header(previous) == rows[0]:
                    previous.rows += rows[1:]  # the same table, header repeated
                    continue
                book.sheets.append(Sheet(f"{number}ページ", [[line] for line in above] + rows))
    if chars == 0:
        raise PrepError("needs_ocr")
    if not book.sheets:
        raise PrepError("empty")
    return book


def _unruled(page: Any) -> list["_WordTable"]:
    """A table drawn without lines, read from where its words stand: lines of words by
    their height on the page, columns split halfway between the words of the fullest line
    (its header, as a rule). Kept when two or more lines have two or more words."""
    words = page.extract_words(x_tolerance=1.5, y_tolerance=2)
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    full = [line for line in lines if len(line) >= 2]
    if len(full) < 2:
        return []
    widest = max(full, key=len)
    centres = sorted((w["x0"] + w["x1"]) / 2 for w in widest)
    bounds = [(a + b) / 2 for a, b in zip(centres, centres[1:])]
    rows = []
    for line in lines:
        cells: list[list[str]] = [[] for _ in centres]
        for word in sorted(line, key=lambda w: w["x0"]):
            cells[bisect.bisect(bounds, (word["x0"] + word["x1"]) / 2)].append(word["text"])
        rows.append([" ".join(cell) if cell else None for cell in cells])
    return [_WordTable(rows, (0, 0, page.width, page.height))]


class _WordTable:
    """What ``_unruled`` found, shaped as pdfplumber's tables are (bbox, extract)."""

    def __init__(self, rows: list[list[Any]], bbox: tuple[float, float, float, float]):
        self.rows, self.bbox = rows, bbox

    def extract(self) -> list[list[Any]]:
        return self.rows


def _row(row: list[Any]) -> list[Any]:
    values = [cell if cell not in ("", None) else None for cell in row]
    while values and values[-1] is None:
        values.pop()
    return values


def _header(sheet: Sheet) -> list[Any]:
    return next((row for row in sheet.rows if len([v for v in row if v is not None]) > 1), [])


def _text_lines(page: Any, top: float, bottom: float) -> list[str]:
    if bottom - top < 1:
        return []
    region = page.crop((0, max(0, top), page.width, min(page.height, bottom)))
    text = region.extract_text() or ""
    return [line.strip() for line in text.splitlines() if line.strip()]
