"""Find the tables on a sheet and make each one tidy.

The scorer's ``locate`` finds a sheet's first table (header row, body, titles, notes, section
rows, where a further table starts); it is run again from where each table ends, so every
table of the sheet is found. Around it this module adds what preparing needs: header rows
above and below the one ``locate`` found (joined into one name per column, 「人口_男」),
merged cells filled, hidden rows and columns left out, and every value cleaned column by
column.
"""
from __future__ import annotations

import collections
import dataclasses
import re
from typing import Any

from ckanext.tdpf.lib.i18n import N_
from ckanext.tdpf.lib.rating import rules
from ckanext.tdpf.lib.rating.readers import Sheet, Workbook, column_letter, column_index

from . import Change, PreparedTable
from . import values as V

Cell = tuple[int, int]


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


@dataclasses.dataclass
class Region:
    header_rows: list[int]
    body: list[int]          # data rows, in order (inner sparse rows included)
    sections: list[int]      # rows of one label heading the rows below them
    own_header: bool = True  # False: a tally under the table above, named by its columns


class Grid:
    """The sheet's cells with hidden rows and columns blanked out (recorded)."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.rows: list[list[Any]] = [list(row) for row in sheet.rows]
        self.changes: list[Change] = []
        hidden: list[Cell] = []
        for number in sheet.hidden_rows:
            r = number - 1
            if r < len(self.rows):
                hidden += [(r, c) for c, v in enumerate(self.rows[r]) if _filled(v)]
                self.rows[r] = []
        for letters in sheet.hidden_columns:
            c = column_index(letters)
            for r, row in enumerate(self.rows):
                if c < len(row) and _filled(row[c]):
                    hidden.append((r, c))
                    row[c] = None
        if hidden:
            self.changes.append(Change("L1-13", N_("Values in hidden rows or columns left out "
                                                   "({count} cells)."), sheet.name, hidden))
        self.merged = [b for b in (rules._bounds(ref) for ref in sheet.merged) if b]

    def count(self, r: int) -> int:
        return sum(1 for v in self.rows[r] if _filled(v)) if r < len(self.rows) else 0


# --- finding the tables -----------------------------------------------------------------------

def find_regions(book: Workbook, grid: Grid) -> list[Region]:
    regions: list[Region] = []
    start = 0
    while start < len(grid.rows):
        part = Sheet(grid.sheet.name, grid.rows[start:])
        located = rules.locate(Workbook(book.kind, [part]), part)
        if located is None:
            break
        header = [r + start for r in located.header_rows]
        cut = located.second_tables[0] + start if located.second_tables else None
        body = [r + start for r in located.body]
        sections = [r + start for r in located.sections]
        inner = [r + start for r in located.trailing
                 if r + start < (cut or len(grid.rows)) and r + start < (body[-1] if body else 0)]
        inner = [r for r in inner if r not in sections and not _is_note_row(grid, r)]
        header = _extend_header(grid, header, start)
        body = sorted(r for r in set(body) | set(inner) if r > header[-1])
        if _headerless(grid.rows[header[0]], first=not regions):
            # a first row of values, not names: a tally of the table above (named by its
            # columns), or a file without a header (columns named by their letters)
            body = sorted(set(body) | set(header))
            header = []
        regions.append(Region(header, body, [r for r in sections if r > (header or [-1])[-1]],
                              own_header=bool(header)))
        if cut is None:
            break
        last = max(body + header + sections) if body or header else cut - 1
        start = max(last + 1, start + 1)
    return regions


def _side_by_side(used: list[int], blank: set[int], names: list[str]) -> list[list[int]] | None:
    """The column blocks of a table set in two or more blocks side by side with the same
    column names (a list printed in columns to fit the page), or None."""
    blocks: list[list[int]] = [[]]
    for c in used:
        if blocks[-1] and any(b in blank for b in range(blocks[-1][-1] + 1, c)):
            blocks.append([])
        blocks[-1].append(c)
    if len(blocks) < 2 or len({len(block) for block in blocks}) != 1:
        return None
    labels = [[names[c] for c in block] for block in blocks]
    if any(not all(label) for label in labels) or any(label != labels[0] for label in labels):
        return None
    return blocks


def _headerless(row: list[Any], first: bool) -> bool:
    """A row ``locate`` took for the header holds values: all of them (a file's first table),
    or most of them (a tally under a table). Years (2019, 2020…) name columns."""
    values = [v for v in row if _filled(v)]
    numbers = [v for v in values if rules._numeric_like(v) and not _year(v)]
    return bool(values) and (len(numbers) == len(values) if first
                             else len(numbers) * 2 > len(values))


def _year(value: Any) -> bool:
    text = V.nfkc(str(value)).strip().removesuffix("年").removesuffix("年度")
    return text.isdigit() and 1900 <= int(text) <= 2100


def _is_note_row(grid: Grid, r: int) -> bool:
    values = [v for v in grid.rows[r] if _filled(v)]
    return len(values) == 1 and isinstance(values[0], str) and rules._is_note(values[0].strip())


def _text_only(row: list[Any]) -> bool:
    """Names only: no numbers, dates or symbols (「３歳」 and 「１年」 are names here)."""
    return all(isinstance(v, str) and not rules.is_number(V.nfkc(v).strip())
               and v.strip() not in rules.SPECIAL_SYMBOLS for v in row if _filled(v))


def _extend_header(grid: Grid, header: list[int], start: int) -> list[int]:
    """Header rows ``locate`` leaves out: a group row above (merged across or down into the
    header), and rows of names below (over numbers, or inside a merged header cell)."""
    header = list(header)
    while header[0] - 1 >= start:
        r = header[0] - 1
        row = grid.rows[r]
        count = grid.count(r)
        merged_down = any(top == r and bottom > top for top, left, bottom, right in grid.merged)
        if count >= 2 and _text_only(row) and (merged_down or count >= 3):
            header.insert(0, r)
        else:
            break
    while header[-1] + 1 < len(grid.rows):
        r = header[-1] + 1
        row = grid.rows[r]
        if grid.count(r) < 2 or not _text_only(row):
            break
        inside = any(top < r <= bottom and top in header
                     for top, left, bottom, right in grid.merged)
        columns = [c for c, v in enumerate(row) if _filled(v)]
        below = grid.rows[r + 1:r + 4]
        over_numbers = sum(1 for c in columns
                           if any(c < len(b) and rules.is_number(b[c]) for b in below))
        if inside or over_numbers * 2 >= len(columns):
            header.append(r)
        else:
            break
    return header


# --- preparing one table ----------------------------------------------------------------------

class Builder:
    """One region made into a PreparedTable."""

    def __init__(self, grid: Grid, region: Region, name: str, above: "Builder | None"):
        self.grid, self.region, self.name, self.sheet = grid, region, name, grid.sheet.name
        self.changes: dict[tuple[str, str], Change] = {}
        rows = region.header_rows + region.body
        self.width = max((len(grid.rows[r]) for r in rows), default=0)
        # the cells of the table: value and the source cell it came from
        self.cells: dict[Cell, tuple[Any, Cell | None]] = {}
        for r in rows:
            for c, value in enumerate(grid.rows[r]):
                if _filled(value):
                    self.cells[(r, c)] = (value, (r, c))
        self.above = above
        self.description: list[str] = []
        self.continued: set[Cell] = set()  # cells a merged range above covers

    def change(self, rule: str, message: str, cell: Cell | None = None, **params: Any) -> None:
        key = (rule, message)
        if key not in self.changes:
            self.changes[key] = Change(rule, message, self.sheet, [], params)
        if cell is not None:
            self.changes[key].cells.append(cell)

    def value(self, cell: Cell) -> Any:
        item = self.cells.get(cell)
        return item[0] if item else None

    def set(self, cell: Cell, value: Any, source: Cell | None = None) -> None:
        old = self.cells.get(cell)
        self.cells[cell] = (value, source if source is not None else (old[1] if old else None))

    def note_formatting(self) -> None:
        """Formulas are kept as the values they gave, cell colours are not kept: said so."""
        rows = set(self.region.header_rows) | set(self.region.body)
        for names, rule, message in (
                (self.grid.sheet.formulas, "L2-06",
                 N_("Formulas replaced by the values they gave ({count} cells).")),
                (self.grid.sheet.highlighted, "L1-11",
                 N_("Cell colours are not kept; if a colour meant something, add it as a "
                    "column ({count} cells)."))):
            for name in names:
                bounds = rules._bounds(name)
                if bounds and bounds[0] in rows:
                    self.change(rule, message, (bounds[0], bounds[1]))

    # merged cells
    def fill_merged(self) -> None:
        rows = set(self.region.header_rows) | set(self.region.body)
        for top, left, bottom, right in self.grid.merged:
            if top not in rows:
                continue
            value = self.value((top, left))
            if value is None:
                continue
            header = top in self.region.header_rows
            for r in range(top, bottom + 1):
                for c in range(left, right + 1):
                    if (r, c) == (top, left) or r not in rows:
                        continue
                    if c > left and not header:  # a label spread across data columns
                        self.change("L1-12", N_("Cells merged across columns in the data "
                                                "unmerged; the value stays in the first "
                                                "column ({count} ranges)."), (top, left))
                        break
                    self.continued.add((r, c))
                    if self.value((r, c)) is None:
                        self.set((r, c), value, (top, left))
                        self.change("L1-12", N_("Merged cells filled with their value "
                                                "({count} cells)."), (top, left))
                        self.width = max(self.width, c + 1)

    # header
    def build_header(self) -> list[str]:
        header_rows = self.region.header_rows
        if not self.region.own_header:
            names = self.above.names if self.above is not None else {}
            return [names.get(c) or "" for c in range(self.width)]
        for i, r in enumerate(header_rows[:-1]):  # a group heading over the columns after it
            for c in range(1, self.width):
                if (self.value((r, c)) is None and self.value((r, c - 1)) is not None
                        and any(self.value((lower, c)) is not None
                                for lower in header_rows[i + 1:])
                        and any(self.value((lower, c - 1)) is not None
                                for lower in header_rows[i + 1:])):
                    source = self.cells[(r, c - 1)][1]
                    self.set((r, c), self.value((r, c - 1)), source)
                    self.change("L2-03", N_("A group heading named each column under it "
                                            "({count} cells)."), source)
        names = []
        for c in range(self.width):
            parts: list[str] = []
            for r in header_rows:
                value = self.value((r, c))
                if value is None:
                    continue
                text = V.clean_spaces(V.flatten_lines(V.plain(value), ""), header=True)
                text, _ = V.replace_platform_chars(text)
                source = self.cells[(r, c)][1]
                if source and text != V.plain(self.grid.rows[source[0]][source[1]]):
                    self.change("L1-06", N_("Spaces, line breaks or platform-dependent "
                                            "characters removed from column names ({count} "
                                            "cells)."), source)
                if text and (not parts or parts[-1] != text):
                    parts.append(text)
            names.append("_".join(parts))
        if len(header_rows) > 1:
            for r in header_rows:
                for c in range(self.width):
                    if (r, c) in self.cells and self.cells[(r, c)][1] == (r, c):
                        self.change("L3-01", N_("The header rows joined into one row of "
                                                "column names ({count} cells)."), (r, c))
        return names

    def run(self) -> PreparedTable:
        self.fill_merged()
        self.note_formatting()
        names = self.build_header()
        self.names_before = dict(enumerate(names))
        body = [r for r in self.region.body if r not in self.region.sections]
        sections = sorted(self.region.sections)
        # columns: those with a name or a value
        used = [c for c in range(self.width)
                if (names[c] and self.region.own_header)
                or any(self.value((r, c)) is not None for r in body)]
        hidden = {column_index(letters) for letters in self.grid.sheet.hidden_columns}
        blank = [c for c in range(self.width) if c not in used and c not in hidden]
        if blank and used and min(used) < max(blank) < max(used):
            self.changes[("L1-03", "blank")] = Change(
                "L1-03", N_("Blank columns removed: {columns}."), self.sheet,
                params={"columns": ", ".join(column_letter(c) for c in blank[:10])},
                where_text=", ".join(f"{self.sheet}!{column_letter(c)}:{column_letter(c)}"
                                     for c in blank[:10]))
        gaps = [r for r in range(body[0], body[-1]) if r not in body and r not in sections
                and self.grid.count(r) == 0] if body else []
        if gaps:
            self.changes[("L1-03", "gaps")] = Change(
                "L1-03", N_("Blank rows inside the table removed ({count} rows)."), self.sheet,
                params={"count": len(gaps)},
                where_text=", ".join(f"{self.sheet}!{r + 1}:{r + 1}" for r in gaps[:10]))
        # the table as columns of (value, source)
        columns: list[list[tuple[Any, Cell | None]]] = []
        header: list[str] = []
        header_sources: list[list[Cell]] = []
        for c in used:
            header.append(names[c])
            header_sources.append([self.cells[(r, c)][1] for r in self.region.header_rows
                                   if (r, c) in self.cells and self.cells[(r, c)][1]])
            columns.append([self.cells.get((r, c), (None, None)) for r in body])
        blocks = None if sections else _side_by_side(used, set(blank), names)
        if blocks:
            used, header, header_sources, columns = self._stack(blocks, used, header,
                                                                header_sources, columns)
        inserted = False
        if sections:
            label_of = self._section_labels(body, sections)
            own = self._label_column(body, sections, used)
            if own is not None:  # the labels stand in a column left blank below them
                columns[used.index(own)] = label_of
            else:
                header.insert(0, "区分")
                header_sources.insert(0, [])
                columns.insert(0, label_of)
                inserted = True
        header = self._name_columns(header, used, inserted)
        self.names = {c: header[i + (1 if inserted else 0)] for i, c in enumerate(used)}
        cleaned, notes = self._clean_columns(header, columns, used, inserted)
        names_before_split = list(header)
        splits = self._split_columns(header, cleaned)
        if any(notes):
            header.append(_free_name(header, "注記"))
            cleaned.append([(("; ".join(n) if n else ""), None) for n in notes])
        self.uses_symbols = any(rule == "L3-03" for rule, _ in self.changes)
        count = len(cleaned[0]) if cleaned else 0
        rows = [[cleaned[j][i][0] for j in range(len(cleaned))] for i in range(count)]
        sources: set[Cell] = {s for col in cleaned for _, s in col if s is not None}
        sources |= {s for group in header_sources for s in group}
        changes = list(self.changes.values())
        if self.grid.changes:
            changes = self.grid.changes + changes
            self.grid.changes = []  # reported once, with the sheet's first table
        table = PreparedTable(self.name, self.sheet, header, rows, changes, self.description,
                              sources)
        # what was decided per column, for preparing the rest of a file streamed in parts
        table.plan = {"columns": used, "numeric": self.numeric, "units": self.units,
                      "sections": bool(sections), "notes": any(notes),
                      "blocks": blocks or [used], "lists": self.lists, "splits": splits,
                      "names": names_before_split}
        table.cell_map = {  # type: ignore[attr-defined]
            (i, j): cleaned[j][i][1] for j in range(len(cleaned)) for i in range(count)
            if cleaned[j][i][1] is not None}
        return table

    def _stack(self, blocks: list[list[int]], used: list[int], header: list[str],
               sources: list[list[Cell]], columns: list[list[tuple[Any, Cell | None]]]):
        """Blocks of the same columns set side by side (段組み) stacked into one table: the
        left block's rows, then the next block's, …; rows a block leaves empty are none."""
        index = {c: i for i, c in enumerate(used)}
        stacked: list[list[tuple[Any, Cell | None]]] = [[] for _ in blocks[0]]
        for block in blocks:
            for i in range(len(columns[0]) if columns else 0):
                cells = [columns[index[c]][i] for c in block]
                if all(value is None for value, _ in cells):
                    continue
                for k, cell in enumerate(cells):
                    stacked[k].append(cell)
        merged_sources = [[cell for block in blocks for cell in sources[index[block[k]]]]
                          for k in range(len(blocks[0]))]
        later = [cell for block in blocks[1:] for c in block for cell in sources[index[c]]]
        for cell in later:
            self.change("L1-02", N_("Tables of the same columns set side by side stacked "
                                    "into one ({count} header cells of the later blocks)."),
                        cell)
        return (blocks[0], [header[index[c]] for c in blocks[0]], merged_sources, stacked)

    def _label_column(self, body: list[int], sections: list[int],
                      used: list[int]) -> int | None:
        """The column the section labels stand in, if it is named and empty in the rows
        below them (「北区」 under 「地区」): the labels belong there."""
        columns = {next(c for c, v in enumerate(self.grid.rows[s]) if _filled(v))
                   for s in sections}
        if len(columns) != 1:
            return None
        (column,) = columns
        if column in used and self.names_before.get(column) and not any(
                self.value((r, column)) is not None for r in body):
            return column
        return None

    def _section_labels(self, body: list[int], sections: list[int]) -> list[tuple[Any, Cell]]:
        labels, current, source = [], "", None
        for r in body:
            for s in sections:
                if s < r:
                    cell = next(((s, c) for c, v in enumerate(self.grid.rows[s]) if _filled(v)))
                    current = V.clean_spaces(V.plain(self.grid.rows[s][cell[1]]))
                    source = cell
            labels.append((current, source))
        for s in sections:
            cell = next(((s, c) for c, v in enumerate(self.grid.rows[s]) if _filled(v)))
            self.change("L2-02", N_("Section heading rows made into a column: every "
                                    "record below one has its value ({count} rows)."), cell)
        return labels

    def _name_columns(self, header: list[str], used: list[int], sections: bool) -> list[str]:
        offset = 1 if sections else 0
        for i, c in enumerate(used):
            if not header[i + offset]:
                header[i + offset] = f"列{column_letter(c)}"
                self.changes[("L1-05", str(c))] = Change(
                    "L1-05", N_("A column without a name named {name}."), self.sheet,
                    params={"name": header[i + offset]},
                    where_text=f"{self.sheet}!{column_letter(c)}:{column_letter(c)}")
        counts = collections.Counter(header)
        seen: dict[str, int] = collections.defaultdict(int)
        for i, name in enumerate(header):
            if counts[name] > 1:
                seen[name] += 1
                if seen[name] > 1:
                    header[i] = f"{name}_{seen[name]}"
                    self.changes[("L2-03", name)] = Change(
                        "L2-03", N_("Column names used more than once numbered: {name}."),
                        self.sheet, params={"name": name}, where_text=f"{self.sheet}")
        return header

    # values
    def _clean_columns(self, header: list[str], columns: list[list[tuple[Any, Cell | None]]],
                       used: list[int], sections: bool
                       ) -> tuple[list[list[tuple[str, Cell | None]]], list[list[str]]]:
        notes: list[list[str]] = [[] for _ in range(len(columns[0]) if columns else 0)]
        csv = self.grid.sheet.name == "CSV"
        self.lists = [bool(rules.list_cells([v for v, _ in column if isinstance(v, str)]))
                      for column in columns]
        # text first: spaces, line breaks, platform characters, dittos
        for j, column in enumerate(columns):
            above = None
            for i, (value, source) in enumerate(column):
                if not isinstance(value, str):
                    above = value if value is not None else above
                    continue
                text, done = clean_text(value, csv, self.lists[j])
                for rule, message in done:
                    self.change(rule, message, source)
                if text.strip() in rules.DITTO and above is not None:
                    text = above
                    self.change("L2-02", N_("Ditto marks (〃, 同上) replaced by the value above "
                                            "({count} cells)."), source)
                column[i] = (text if text != "" else None, source)
                above = column[i][0] if column[i][0] is not None else above
        numeric = [self._is_numeric(header[j], column) for j, column in enumerate(columns)]
        self.numeric, self.units = numeric, [None] * len(columns)
        self._fill_groups(columns, numeric, sections)
        out: list[list[tuple[str, Cell | None]]] = []
        for j, column in enumerate(columns):
            if numeric[j]:
                out.append(self._numbers(j, header, column, notes))
            else:
                out.append(self._texts(header[j], column, notes))
        return out, notes

    def _split_columns(self, header: list[str], columns: list[list[tuple[str, Cell | None]]]
                       ) -> dict[int, str]:
        """Columns holding two values in every cell, split where that is unambiguous: a
        latitude and longitude (「35.68,139.76」) into 緯度 and 経度; two quantities under a
        header naming both (「定員/現員」: 「12/15」) into 定員 and 現員. Returns the split
        columns by their position before the split (the streamed rest of a file is split
        the same way)."""
        splits = {}
        for j in range(len(columns)):
            texts = [value for value, _ in columns[j] if value]
            if not texts or (self.numeric[j] if j < len(self.numeric) else False):
                continue
            if all(coordinate_pair(value) for value in texts):
                splits[j] = "coordinates"
            elif pair_names(header[j]) and all(quantity_pair(value) for value in texts):
                splits[j] = "pair"
        for j in sorted(splits, reverse=True):
            kind, name = splits[j], header[j]
            if kind == "coordinates":
                names = ["緯度", "経度"] if "緯度" in name or "経度" in name or "位置" in name \
                    or "座標" in name else [f"{name}_緯度", f"{name}_経度"]
                message = SPLIT_MESSAGES[kind]
            else:
                names = list(pair_names(name) or ())
                message = SPLIT_MESSAGES[kind]
            names = [_free_name(header[:j] + header[j + 1:], n) for n in names]
            parts = [split_value(kind, value) for value, _ in columns[j]]
            for value, source in columns[j]:
                if value:
                    self.change("L1-07", message, source)
            header[j:j + 1] = names
            columns[j:j + 1] = [[(part[k], source) for part, (_, source) in
                                 zip(parts, columns[j])] for k in range(2)]
        return splits

    def _is_numeric(self, name: str, column: list[tuple[Any, Cell | None]]) -> bool:
        values = [v for v, _ in column if v is not None]
        if not values or rules.is_code_column(name, values):
            return False
        numbers = symbols = 0
        for value in values:
            number = V.read_number(value)
            if number is None:
                continue
            if number.symbol:
                symbols += 1
            else:
                numbers += 1
        return numbers > 0 and numbers >= symbols and (numbers + symbols) >= 0.7 * len(values)

    def _fill_groups(self, columns: list[list[tuple[Any, Cell | None]]], numeric: list[bool],
                     sections: bool) -> None:
        """Blank grouping cells (the first text columns, written once per group) filled from
        above, level by level: a cell is filled only where the group to its left goes on."""
        text_columns = [j for j in range(len(columns)) if not numeric[j]][:2]
        if sections:
            text_columns = [j for j in text_columns if j != 0]
        width = len(columns)
        goes_on: set[tuple[int, int]] = set()
        for level, j in enumerate(text_columns):
            column = columns[j]
            previous = None
            for i, (value, source) in enumerate(column):
                if value is not None:
                    previous = (value, source)
                    continue
                filled = sum(1 for col in columns if col[i][0] is not None)
                left_goes_on = level == 0 or (i, text_columns[level - 1]) in goes_on
                if previous is not None and filled >= max(2, width // 2) and left_goes_on:
                    column[i] = previous
                    goes_on.add((i, j))
                    self.change("L2-02", N_("Blank grouping cells filled with the group's "
                                            "value ({count} cells)."), previous[1])
                elif value is None:
                    goes_on.add((i, j))

    def _numbers(self, j: int, header: list[str], column: list[tuple[Any, Cell | None]],
                 notes: list[list[str]]) -> list[tuple[str, Cell | None]]:
        read = [V.read_number(v) if v is not None else None for v, _ in column]
        units = {n.unit for n in read if n is not None and n.unit}
        unit = units.pop() if len(units) == 1 else None
        self.units[j] = unit
        out: list[tuple[str, Cell | None]] = []
        if unit and unit not in header[j]:
            header[j] = f"{header[j]}（{unit}）"
        name = header[j]
        for i, ((value, source), number) in enumerate(zip(column, read)):
            if value is None:
                out.append(("", None))
                continue
            text, cell_notes, done = number_text(value, number, unit, name)
            notes[i].extend(cell_notes)
            for rule, message, params in done:
                self.change(rule, message, source, **params)
            out.append((text, source))
        return out

    def _texts(self, name: str, column: list[tuple[Any, Cell | None]],
               notes: list[list[str]]) -> list[tuple[str, Cell | None]]:
        out: list[tuple[str, Cell | None]] = []
        era = None
        for i, (value, source) in enumerate(column):
            if value is None:
                out.append(("", None))
                continue
            text = V.plain(value)
            if isinstance(value, str):
                base, note = V.split_footnote(value)
                date = V.read_date(base, era)
                if date is not None:
                    text, era = date[0], date[1] or era
                    self.change("L3-05", N_("Dates written in the Japanese era or other forms "
                                            "written as ISO 8601 dates ({count} cells)."),
                                source)
                    if note:
                        notes[i].append(f"{name}: {note}")
            out.append((text, source))
        return out


STEP_CHANGES = {
    "width": ("L2-01", N_("Full-width digits made half-width ({count} cells).")),
    "separator": ("L2-01", N_("Thousands separators removed ({count} cells).")),
    "unit": ("L3-04", N_("Units moved from the values into the column name ({count} "
                         "cells).")),
    "negative": ("L2-01", N_("Negative numbers written with △ or ▲ given a minus sign "
                             "({count} cells).")),
    "note": ("L2-01", N_("Footnote marks moved from the numbers to the note column ({count} "
                         "cells).")),
}
SYMBOL_MESSAGES = {
    V.ZERO: N_("Dashes (－) in number columns written as 0, by the declared convention "
               "(dash = none) ({count} cells)."),
    V.UNKNOWN: N_("「…」 (not known) in number columns left blank and noted in the note "
                  "column ({count} cells)."),
    V.SECRET: N_("Secret values (✕, 秘匿) in number columns left blank and noted in the note "
                 "column ({count} cells)."),
}
# The declared convention, written into the description of every table it was used on.
CONVENTION = ("数値の記号の扱い: 「－」(該当なし)は 0、「…」(不詳)と「✕」「秘匿」(秘匿)は空欄とし、"
              "注記列にその旨を記載しています。")
SYMBOL_NOTES = {V.UNKNOWN: "不詳", V.SECRET: "秘匿"}


LIST_MESSAGE = N_("Lists of names in one cell written with the standard datasets' separator "
                  "「;」 ({count} cells).")


def clean_text(text: str, csv: bool, list_column: bool = False
               ) -> tuple[str, list[tuple[str, str]]]:
    """A text cell's layout undone: line breaks, layout spaces, platform-dependent
    characters. Returns the new text and the (rule, message) of each change made; a line
    break inside a CSV cell is L1-14, inside a spreadsheet cell a layout matter (L1-06).
    In a column of lists (``rules.list_cells``) a cell listing names (「内科、外科」, one
    name per line) keeps each name, joined by 「;」 as the standard datasets write lists
    (自治体標準オープンデータセット: 診療科目 「内科;外科」)."""
    if list_column and rules.noun_list(text):
        names = [clean_text(name, csv)[0] for name in rules.LIST_SEPARATOR.split(text.strip())]
        return ";".join(names), [("L1-07", LIST_MESSAGE)]
    done = []
    if "\n" in text or "\r" in text:
        text = V.flatten_lines(text)
        done.append(("L1-14" if csv else "L1-06",
                     N_("Line breaks inside cells replaced by a space ({count} cells).")))
    spaced = V.clean_spaces(text)
    if spaced != text:
        done.append(("L1-06", N_("Layout spaces removed ({count} cells).")))
        text = spaced
    text, found = V.replace_platform_chars(text)
    if found:
        done.append(("L1-08", N_("Platform-dependent characters replaced ({count} cells).")))
    return text, done


COORDINATE_PAIR = re.compile(r"^\s*([+-]?\d{1,3}\.\d+)\s*[,，、/／\s]\s*([+-]?\d{1,3}\.\d+)\s*$")
QUANTITY_PAIR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[/／]\s*(\d+(?:\.\d+)?)\s*$")
PAIR_HEADER = re.compile(r"^([^/／]+?)\s*[/／]\s*([^/／]+)$")


SPLIT_MESSAGES = {
    "coordinates": N_("Latitude and longitude in one cell split into two columns ({count} "
                      "cells)."),
    "pair": N_("Two quantities in one cell (a/b) split into two columns ({count} cells)."),
}


def coordinate_pair(value: str) -> tuple[str, str] | None:
    """(latitude, longitude) of a cell holding both, in either order; None otherwise."""
    match = COORDINATE_PAIR.match(value)
    if not match:
        return None
    first, second = match.group(1), match.group(2)
    a, b = abs(float(first)), abs(float(second))
    if a <= 90 and b <= 180:
        return first, second
    if b <= 90 and a <= 180:
        return second, first  # written longitude first
    return None


def quantity_pair(value: str) -> tuple[str, str] | None:
    match = QUANTITY_PAIR.match(value)
    return (match.group(1), match.group(2)) if match else None


def pair_names(header: str) -> tuple[str, str] | None:
    """The two names of a header that names two quantities: 「定員/現員」."""
    match = PAIR_HEADER.match(header)
    return (match.group(1).strip(), match.group(2).strip()) if match else None


def split_value(kind: str, value: str) -> tuple[str, str]:
    """A split column's cell as its two values ("", "" when empty)."""
    if not value:
        return "", ""
    pair = coordinate_pair(value) if kind == "coordinates" else quantity_pair(value)
    return pair if pair else (value, "")  # a streamed cell that does not parse stays whole


def split_row(row: list[str], splits: dict[int, str]) -> tuple[list[str], list[int]]:
    """A streamed row split as the first part of the file was; the positions (before the
    split) of the cells that held two values."""
    row, split = list(row), []
    for j in sorted(splits, reverse=True):
        if j < len(row):
            if row[j]:
                split.append(j)
            row[j:j + 1] = list(split_value(splits[j], row[j]))
    return row, split


def number_text(value: Any, number: V.Number | None, unit: str | None, name: str
                ) -> tuple[str, list[str], list[tuple[str, str, dict[str, Any]]]]:
    """A cell of a number column (``number``: ``V.read_number(value)``; ``unit``: the
    column's one unit): its value in the prepared table, the notes it leaves in the note
    column, and the (rule, message, params) of each change made."""
    if number is not None and number.unit and number.unit != unit:
        number = None  # mixed units: left as written
    if number is None:
        split = V.split_number_and_note(value)
        if split:
            return split[0], [f"{name}: {split[1]}"], [("L1-07", N_(
                "A number and words in one cell split: the words moved to the note column "
                "({count} cells)."), {})]
        return V.plain(value), [], []
    if number.symbol:
        notes = ([f"{name}: {SYMBOL_NOTES[number.symbol]}"] if number.symbol != V.ZERO
                 else [])
        return number.value, notes, [("L3-03", SYMBOL_MESSAGES[number.symbol],
                                      {"symbol": V.plain(value)})]
    notes = [f"{name}: {number.note}"] if number.note else []
    return number.value, notes, [(*STEP_CHANGES[step], {}) for step in number.steps]


def _free_name(header: list[str], name: str) -> str:
    candidate, n = name, 1
    while candidate in header:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


# --- the sheet --------------------------------------------------------------------------------

def prepare_sheet(book: Workbook, sheet: Sheet, naming_sheet: bool) -> list[PreparedTable]:
    grid = Grid(sheet)
    regions = find_regions(book, grid)
    if not regions:
        return []
    builders: list[Builder] = []
    base = sheet.name if naming_sheet else "表"
    for region in regions:
        builders.append(Builder(grid, region, base, builders[-1] if builders else None))
    tables = [builder.run() for builder in builders]
    _describe(grid, regions, tables)
    for table in tables:
        _stated_unit(table)
    for builder, table in zip(builders, tables):
        if builder.uses_symbols:
            table.description.append(CONVENTION)
    return tables


STATED_UNIT = re.compile(r"単位\s*[:：]\s*([^\s)）、,，]{1,6})\s*[)）]?\s*$")


def _stated_unit(table: PreparedTable) -> None:
    """「（単位：人）」 above or below a table: the unit of its number columns, added to the
    names of those that state none."""
    units = {match.group(1) for line in table.description
             if (match := STATED_UNIT.search(V.nfkc(line)))}
    if len(units) != 1:
        return
    (unit,) = units
    numeric = table.plan["numeric"]  # type: ignore[attr-defined]
    named = []
    for j, is_number in enumerate(numeric):
        if is_number and not rules.UNIT_IN_HEADER.search(table.header[j]) \
                and unit not in table.header[j]:
            table.header[j] = f"{table.header[j]}（{unit}）"
            named.append(table.header[j])
    if named:
        table.changes.append(Change(
            "L3-04", N_("The unit stated outside the table ({unit}) added to the names of "
                        "{count} number columns."), table.sheet, params={"unit": unit,
                                                                         "count": len(named)},
            where_text=table.sheet))


def _describe(grid: Grid, regions: list[Region], tables: list[PreparedTable]) -> None:
    """Rows in no table (titles, units, notes, sources) go to the description of the table
    they belong to: the one below them if they are closer to its header, else the one
    above."""
    taken: set[int] = set()
    for region in regions:
        taken |= set(region.header_rows) | set(region.body) | set(region.sections)
    spans = [(min(r.header_rows + r.body), max(r.header_rows + r.body)) for r in regions]
    moved: dict[int, list[Cell]] = collections.defaultdict(list)
    for r, row in enumerate(grid.rows):
        if r in taken:
            continue
        cells = [(r, c) for c, v in enumerate(row) if _filled(v)]
        if not cells:
            continue
        index = len(spans) - 1
        for k, (first, last) in enumerate(spans):
            if r < first:
                previous = spans[k - 1][1] if k else None
                index = k if previous is None or first - r <= r - previous else k - 1
                break
            if r <= last:
                index = k
                break
        table = tables[index]
        text = " ".join(V.clean_spaces(V.flatten_lines(V.plain(row[c]))) for _, c in cells)
        table.description.append(text)
        moved[index] += cells
    for index, cells in moved.items():
        first = spans[index][0]
        above = [cell for cell in cells if cell[0] < first]
        below = [cell for cell in cells if cell[0] >= first]
        if above:
            tables[index].changes.append(Change(
                "L3-01", N_("Titles above the table moved to the description ({count} "
                            "cells)."), grid.sheet.name, above))
        if below:
            tables[index].changes.append(Change(
                "L1-04", N_("Notes outside the table moved to the description ({count} "
                            "cells)."), grid.sheet.name, below))
