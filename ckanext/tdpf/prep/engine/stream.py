"""A large CSV prepared in a stream, in bounded memory: the first rows are prepared as any
file is (the table located, its header made, each column's kind and unit decided), and every
later row is cleaned by those decisions as it is read and written at once. Rows of one value
at the end of the file (notes, sources) are held back and go to the description, as they do
for a small file; changes are counted, with the first places named."""
from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import os
import pathlib
import re
import tempfile
import weakref
from typing import IO, Any

from ckanext.tdpf.lib import encoding as encodings
from ckanext.tdpf.lib.i18n import N_
from ckanext.tdpf.lib.rating import rules
from ckanext.tdpf.lib.rating.readers import cell_name

from . import Change, Prepared, PreparedTable, PrepError, prepare
from . import tables as T
from . import values as V

SAMPLE_ROWS = 5000
LINE_END = re.compile(r"(?<=\n)")
NAMED = 20          # places named per change; the rest are counted
HELD = 1000         # sparse rows held back at most (notes at the end of a file)


@dataclasses.dataclass
class Streamed:
    header: list[str]
    row_count: int
    changes: list[Change]
    description: list[str]


class _Changes:
    def __init__(self, sheet: str = "CSV") -> None:
        self.items: dict[tuple[str, str], Change] = {}
        self.sheet = sheet

    def add(self, change: Change) -> None:
        self.items[(change.rule, change.message)] = change

    def count(self, rule: str, message: str, cell: tuple[int, int], **params: Any) -> None:
        change = self.items.get((rule, message))
        if change is None:
            change = self.items[(rule, message)] = Change(rule, message, self.sheet, [], params,
                                                          total=0)
        change.total = (change.total or len(change.cells)) + 1
        if len(change.cells) < NAMED:
            change.cells.append(cell)


def _text_rows(source: IO[bytes]):
    head = source.read(65536)
    try:
        detected = encodings.detect(head)
    except encodings.UnknownEncoding:
        raise PrepError("unknown_encoding") from None
    decoder = codecs.getincrementaldecoder(detected)(errors="replace")
    sample = decoder.decode(head).lstrip("\ufeff")
    try:
        delimiter = csv.Sniffer().sniff(sample[:65536], delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","

    def text():
        yield sample
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                yield decoder.decode(b"", final=True)
                return
            yield decoder.decode(chunk)

    def lines():
        rest = ""
        for part in text():
            pieces = LINE_END.split(rest + part)
            rest = pieces.pop()  # after the last line break: the start of the next line
            yield from pieces
        if rest:
            yield rest

    return csv.reader(lines(), delimiter=delimiter, strict=False)


def prepare_stream(source: IO[bytes], out: IO[str], sheet: str = "CSV") -> Streamed:
    """Prepare the CSV read from ``source`` into ``out`` (UTF-8 text, CRLF rows); ``sheet``:
    the workbook sheet the CSV was written from, named in the changes."""
    reader = _text_rows(source)
    sample: list[list[str]] = []
    for row in reader:
        sample.append(row)
        if len(sample) >= SAMPLE_ROWS:
            break
    buffer = io.StringIO()
    csv.writer(buffer).writerows(sample)
    prepared = prepare(buffer.getvalue().encode("utf-8"))
    if len(prepared.tables) != 1 or prepared.tables[0].plan["sections"]:
        # a stream is prepared by what its first rows decide: one table, no section rows
        raise PrepError("not_streamable")
    table = prepared.tables[0]
    plan = table.plan
    writer = csv.writer(out, lineterminator="\r\n")
    header = list(table.header)
    notes_column = plan["notes"] or len(sample) >= SAMPLE_ROWS
    if notes_column and not plan["notes"]:
        header.append(T._free_name(header, "注記"))
    writer.writerow(header)
    for row in table.rows:
        writer.writerow(row + ([""] if notes_column and not plan["notes"] else []))
    changes = _Changes(sheet)
    for change in table.changes:
        if sheet != "CSV":  # the first rows were prepared as a CSV written from the sheet
            change.sheet = sheet
            change.where_text = change.where_text.replace("CSV!", f"{sheet}!")
        changes.add(change)
    count = table.row_count
    if len(sample) < SAMPLE_ROWS:
        return Streamed(header, count, list(changes.items.values()), table.description)
    names = plan["names"]
    previous: list[str] = [""] * len(plan["columns"])
    eras: list[str | None] = [None] * len(plan["columns"])
    held: list[tuple[int, list[str]]] = []
    description = list(table.description)
    width = len(plan["columns"])
    for r, row in enumerate(reader, start=len(sample)):
        filled = sum(1 for value in row if value.strip())
        if filled == 0:
            continue
        if filled == 1 and width > 3:
            held.append((r, row))
            if len(held) <= HELD:
                continue
        for item in held + [(r, row)] if held else [(r, row)]:
            for block in plan["blocks"]:  # blocks set side by side: one row each
                if len(plan["blocks"]) > 1 and not any(
                        c < len(item[1]) and item[1][c].strip() for c in block):
                    continue
                out_row, notes = _clean(item[0], item[1], dict(plan, columns=block), names,
                                        previous, eras, changes)
                out_row, split = T.split_row(out_row, plan["splits"])
                for j in split:
                    changes.count("L1-07", T.SPLIT_MESSAGES[plan["splits"][j]],
                                  (item[0], block[j]))
                writer.writerow(out_row + (["; ".join(notes)] if notes_column else []))
                count += 1
        held = []
    moved = []
    for r, row in held:
        cells = [(r, c) for c, value in enumerate(row) if value.strip()]
        description.append(" ".join(V.clean_spaces(row[c]) for _, c in cells))
        moved += cells
    if moved:
        changes.add(Change("L1-04", N_("Notes outside the table moved to the description "
                                       "({count} cells)."), "CSV", moved))
    description = [line for line in description if line != T.CONVENTION]
    if any(rule == "L3-03" for rule, _ in changes.items):
        description.append(T.CONVENTION)  # last, as for a file prepared whole
    return Streamed(header, count, list(changes.items.values()), description)


def _clean(r: int, row: list[str], plan: dict[str, Any], names: list[str],
           previous: list[str], eras: list[str | None], changes: _Changes
           ) -> tuple[list[str], list[str]]:
    out, notes = [], []
    for j, c in enumerate(plan["columns"]):
        value = row[c] if c < len(row) else ""
        cell = (r, c)
        value, done = T.clean_text(value, csv=True, list_column=plan["lists"][j])
        for rule, message in done:
            changes.count(rule, message, cell)
        if value in rules.DITTO and previous[j]:
            value = previous[j]
            changes.count("L2-02", N_("Ditto marks (〃, 同上) replaced by the value above "
                                      "({count} cells)."), cell)
        if value:
            previous[j] = value
        if not value:
            out.append("")
        elif plan["numeric"][j]:
            out.append(_number(value, plan["units"][j], names[j], cell, notes, changes))
        else:
            base, note = V.split_footnote(value)
            date = V.read_date(base, eras[j])
            if date is not None:
                value, eras[j] = date[0], date[1] or eras[j]
                changes.count("L3-05", N_("Dates written in the Japanese era or other forms "
                                          "written as ISO 8601 dates ({count} cells)."), cell)
                if note:
                    notes.append(f"{names[j]}: {note}")
            out.append(value)
    return out, notes


def _number(value: str, unit: str | None, name: str, cell: tuple[int, int],
            notes: list[str], changes: _Changes) -> str:
    text, cell_notes, done = T.number_text(value, V.read_number(value), unit, name)
    notes.extend(cell_notes)
    for rule, message, params in done:
        changes.count(rule, message, cell, **params)
    return text


class StreamedTable(PreparedTable):
    """A table prepared in a stream: its first rows in memory, all of it in a temporary
    file (removed with the table)."""

    def __init__(self, streamed: Streamed, preview: list[list[str]], path: str):
        super().__init__("表", "CSV", streamed.header, preview, streamed.changes,
                         streamed.description)
        self.count, self.path = streamed.row_count, path
        weakref.finalize(self, _remove, path)

    @property
    def row_count(self) -> int:  # type: ignore[override]
        return self.count

    def csv_bytes(self) -> bytes:
        return pathlib.Path(self.path).read_bytes()


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


PREVIEW_ROWS = 100


def prepare_large(content: bytes) -> Prepared:
    """A CSV longer than the reader takes, prepared in a stream into a temporary file."""
    return Prepared("csv", None, [_stream(io.BytesIO(content), "CSV")], [])


def prepare_large_sheet(content: bytes, sheet: str) -> StreamedTable:
    """A sheet of an XLSX workbook longer than the reader takes, prepared in a stream: its
    rows (openpyxl's read-only reader, cached values of formulas) written as a CSV, which is
    prepared as a large CSV is. What only the whole workbook shows (merged cells, hidden
    rows) is not read on such a sheet."""
    import openpyxl

    handle, rows_path = tempfile.mkstemp(prefix="tdpf-prep-sheet-", suffix=".csv")
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as rows_out:
                writer = csv.writer(rows_out, lineterminator="\r\n")
                for row in book[sheet].iter_rows(values_only=True):
                    writer.writerow([V.plain(value) for value in row])
        finally:
            book.close()
        with open(rows_path, "rb") as rows_in:
            table = _stream(rows_in, sheet)
    finally:
        _remove(rows_path)
    table.name = table.sheet = sheet
    return table


def _stream(source: IO[bytes], sheet: str) -> StreamedTable:
    handle, path = tempfile.mkstemp(prefix="tdpf-prep-", suffix=".csv")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            streamed = prepare_stream(source, out, sheet)
        with open(path, encoding="utf-8", newline="") as written:
            reader = csv.reader(written)
            next(reader, None)
            preview = [row for _, row in zip(range(PREVIEW_ROWS), reader)]
    except BaseException:
        _remove(path)
        raise
    return StreamedTable(streamed, preview, path)


__all__ = ["prepare_stream", "prepare_large", "prepare_large_sheet", "Streamed", "cell_name"]
