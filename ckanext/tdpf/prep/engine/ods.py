"""OpenDocument spreadsheets (.ods) read into the scorer's Workbook: values, merged ranges
(spanned cells), hidden rows and columns and hidden sheets, from content.xml."""
from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any

from lxml import etree

from ckanext.tdpf.lib.rating.readers import (
    MAX_COLUMNS, MAX_ROWS, Sheet, UnreadableFile, Workbook, cell_name, column_letter)

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"


def _t(name: str) -> str:
    return f"{{{TABLE}}}{name}"


def read_ods(content: bytes) -> Workbook:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        root = etree.fromstring(archive.read("content.xml"),
                                etree.XMLParser(resolve_entities=False, no_network=True,
                                                huge_tree=False))
        hidden_styles = _hidden_table_styles(root)
        book = Workbook("ods", [], has_objects=any(
            name.startswith("Pictures/") or name.startswith("Object ")
            for name in archive.namelist()))
        for table in root.iter(_t("table")):
            book.sheets.append(_read_table(table, hidden_styles, book))
    except UnreadableFile:
        raise
    except Exception as error:  # zip, XML and value errors of broken or hostile files
        raise UnreadableFile("malformed_excel", str(error)) from error
    return book


def _hidden_table_styles(root: etree._Element) -> set[str]:
    style = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
    hidden = set()
    for element in root.iter(f"{{{style}}}style"):
        for props in element.iter(f"{{{style}}}table-properties"):
            if props.get(f"{{{TABLE}}}display") == "false":
                hidden.add(element.get(f"{{{style}}}name"))
    return hidden


def _read_table(table: etree._Element, hidden_styles: set[str], book: Workbook) -> Sheet:
    sheet = Sheet(table.get(_t("name"), ""), [],
                  hidden_sheet=table.get(_t("style-name")) in hidden_styles)
    column = 0
    for col in table.iter(_t("table-column")):
        repeat = min(int(col.get(_t("number-columns-repeated"), "1")), MAX_COLUMNS)
        if col.get(_t("visibility"), "visible") != "visible":
            sheet.hidden_columns += [column_letter(c) for c in range(column, column + repeat)
                                     if c < 1024]
        column += repeat
    r_index = 0
    for row in table.iter(_t("table-row")):
        repeat = int(row.get(_t("number-rows-repeated"), "1"))
        values = _read_row(row, r_index, sheet)
        if not any(v is not None for v in values):
            r_index += repeat  # repeated blank rows fill a sheet to its end: keep no list
            continue
        for _ in range(min(repeat, MAX_ROWS - r_index)):
            sheet.rows += [[] for _ in range(r_index - len(sheet.rows))]
            sheet.rows.append(list(values))
            if row.get(_t("visibility"), "visible") != "visible":
                sheet.hidden_rows.append(r_index + 1)
            r_index += 1
        if r_index >= MAX_ROWS:
            book.truncated = True
            break
    return sheet


def _read_row(row: etree._Element, r_index: int, sheet: Sheet) -> list[Any]:
    values: list[Any] = []
    for cell in row:
        tag = etree.QName(cell).localname
        if tag not in ("table-cell", "covered-table-cell"):
            continue
        repeat = int(cell.get(_t("number-columns-repeated"), "1"))
        value = _value(cell) if tag == "table-cell" else None
        if value is None:
            values.extend([None] * min(repeat, MAX_COLUMNS - len(values)))
        else:
            across = int(cell.get(_t("number-columns-spanned"), "1"))
            down = int(cell.get(_t("number-rows-spanned"), "1"))
            for _ in range(min(repeat, 1024)):
                if across > 1 or down > 1:
                    c = len(values)
                    sheet.merged.append(f"{cell_name(r_index, c)}:"
                                        f"{cell_name(r_index + down - 1, c + across - 1)}")
                values.append(value)
        if len(values) >= MAX_COLUMNS:
            break
    while values and values[-1] is None:
        values.pop()
    return values


def _value(cell: etree._Element) -> Any:
    kind = cell.get(f"{{{OFFICE}}}value-type")
    if kind in ("float", "percentage", "currency"):
        number = float(cell.get(f"{{{OFFICE}}}value"))
        return int(number) if number.is_integer() else number
    if kind == "date":
        raw = cell.get(f"{{{OFFICE}}}date-value", "")
        try:
            return (datetime.datetime.fromisoformat(raw) if "T" in raw
                    else datetime.date.fromisoformat(raw))
        except ValueError:
            return raw
    if kind == "boolean":
        return cell.get(f"{{{OFFICE}}}boolean-value") == "true"
    paragraphs = ["".join(p.itertext()) for p in cell.iter(f"{{{TEXT}}}p")]
    text = "\n".join(paragraphs)
    return text if text != "" else None
