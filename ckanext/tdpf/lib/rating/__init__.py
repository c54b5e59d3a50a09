"""データレート: how machine-readable a file really is, measured from its content.

Level scores follow the Digital Agency's published scoring: per level
``max(0, 100 − Σ deductions)``, a FATAL finding zeroes the level, rules that do not apply
are left out, and a level with no applicable rule has no score (None). The stage (0–4) is the
Digital Agency's draft 段階モデル: 0 PDF/images/HTML, 1 reusable documents, 2 spreadsheets
whose level 1 has a FATAL finding, 3 machine-readable structure, 4 = 3 + standard metadata
(decided where the dataset's metadata is known, see ``stage_with_metadata``).
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import logging
import zipfile
from typing import Any

from ckanext.tdpf.lib.i18n import N_, english, japanese

from . import readers
from .rules import DEDUCTIONS, FATAL, NOT_JUDGED, RULE_TITLES, RULES, Table, Violation, locate

log = logging.getLogger(__name__)
TABULAR = {"csv", "xlsx", "xls"}
STRUCTURED = {"json", "geojson", "rdf", "xml", "ods"}
DOCUMENT = {"document", "text"}
VISUAL = {"pdf", "image", "html"}

ERRORS = {
    "unreachable": N_("The file could not be downloaded."),
    "too_large": N_("The file is larger than the size limit for rating."),
    "timeout": N_("Downloading the file took longer than the time limit."),
    "unknown_format": N_("The file's format could not be recognized."),
    "unknown_encoding": N_("The file's character encoding could not be recognized."),
    "malformed_csv": N_("The CSV file could not be parsed."),
    "malformed_excel": N_("The Excel file is damaged or protected."),
    "malformed_json": N_("The JSON file could not be parsed."),
    "empty": N_("The file is empty."),
    "forbidden_address": N_("The file's address is not a public address."),
}


@dataclasses.dataclass
class Rating:
    stage: int | None
    l1: int | None = None
    l2: int | None = None
    l3: int | None = None
    findings: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    detected_format: str | None = None
    encoding: str | None = None
    error: str | None = None
    size: int = 0
    sha256: str | None = None
    columns: list[str] = dataclasses.field(default_factory=list)  # the first table's header
    # Rules the file's content cannot show it keeps (no deduction): rule, level, title, reason.
    not_judged: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # The first table as located (not stored): ``table_data`` reads its header and rows
    # for the 自治体標準オープンデータセット conformance check. Drop it once read, it holds
    # the whole file.
    table: Table | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def error_message(self) -> dict[str, str] | None:
        if not self.error:
            return None
        return {"ja": japanese(ERRORS[self.error]), "en": english(ERRORS[self.error])}


def failed(code: str, size: int = 0) -> Rating:
    return Rating(stage=None, error=code, size=size)


def finding(rule_id: str, level: int, severity: str, violation: Violation,
            sheet: str | None) -> dict[str, Any]:
    return {
        "rule": rule_id,
        "level": level,
        "severity": severity,
        "title": {"ja": japanese(RULE_TITLES[rule_id]), "en": english(RULE_TITLES[rule_id])},
        "message": {"ja": japanese(violation.message, **violation.params),
                    "en": english(violation.message, **violation.params)},
        "locations": violation.locations,
        "count": violation.params.get("count", len(violation.locations)),
        "sheet": sheet,
        "judgment": violation.judgment,
    }


def not_judged() -> list[dict[str, Any]]:
    """The rules a table's content cannot show it keeps (L3-02, L3-07, L3-08): said so,
    without a deduction, so a full score is not read as passing them."""
    return [{"rule": rule_id, "level": 3, "kind": "not_judged",
             "title": {"ja": japanese(title), "en": english(title)},
             "reason": {"ja": japanese(reason), "en": english(reason)}}
            for rule_id, (title, reason) in NOT_JUDGED.items()]


def level_score(results: list[tuple[str, list[Violation]]], level: int) -> int | None:
    """The published formula over the rules that applied at this level."""
    applied = [(severity, violations) for severity, violations in results]
    if not applied:
        return None
    if any(severity == FATAL and violations for severity, violations in applied):
        return 0
    deduction = sum(DEDUCTIONS[level].get(severity, 0)
                    for severity, violations in applied if violations)
    return max(0, 100 - deduction)


def rate_table_book(book: readers.Workbook) -> Rating:
    """Run every applicable rule on each sheet with data; the file's level score is the
    worst sheet's (a workbook is as machine-readable as its weakest table)."""
    tables: list[Table] = []
    for sheet in book.sheets:
        try:
            table = locate(book, sheet)
        except Exception:  # an odd sheet must not stop the rating of the others
            log.exception("could not locate the table of sheet %s", sheet.name)
            continue
        if table is not None:
            tables.append(table)
    if not tables:
        return failed("empty")
    findings: list[dict[str, Any]] = []
    scores: dict[int, list[int]] = {1: [], 2: [], 3: []}
    for table in tables:
        per_level: dict[int, list[tuple[str, list[Violation]]]] = {1: [], 2: [], 3: []}
        per_level[1].append((FATAL, []))  # L1-01: a spreadsheet format, passed
        for rule in RULES:
            if book.kind not in rule.formats:
                continue
            try:
                violations = rule.check(table)
            except Exception:  # a rule that cannot judge this table is left out
                log.exception("rule %s failed on sheet %s", rule.id, table.sheet.name)
                continue
            if violations is None:
                continue
            per_level[rule.level].append((rule.severity, violations))
            sheet = table.sheet.name if book.kind != "csv" else None
            findings += [finding(rule.id, rule.level, rule.severity, v, sheet)
                         for v in violations]
        for level in (1, 2, 3):
            score = level_score(per_level[level], level)
            if score is not None:
                scores[level].append(score)
    l1, l2, l3 = (min(scores[level]) if scores[level] else None for level in (1, 2, 3))
    stage = 2 if l1 == 0 else 3
    header = [tables[0].header(c) for c in range(tables[0].width)][:300]
    return Rating(stage=stage, l1=l1, l2=l2, l3=l3, findings=_dedupe(findings),
                  detected_format=book.kind.upper(), encoding=book.encoding, columns=header,
                  not_judged=not_judged(), table=tables[0])


def cell_text(value: Any) -> str:
    """A cell as written: numbers without a trailing .0, times as hh:mm, dates as
    YYYY-MM-DD (how the 自治体標準 formats expect them)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M" if not value.second else "%H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def table_data(result: Rating, limit: int | None = None
               ) -> tuple[list[str], list[list[str]]] | None:
    """The header and the data rows (cells as text, at most ``limit`` rows) of the rated
    file's first table; None where the file is not a table."""
    table = result.table
    if table is None:
        return None
    header = [table.header(column) for column in range(table.width)]
    body = table.body if limit is None else table.body[:limit]
    rows = [[cell_text(value) for value in table.rows[row]] for row in body]
    return header, rows


def _dedupe(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, unique = set(), []
    for item in findings:
        key = (item["rule"], item["message"]["en"], item["sheet"])
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _not_machine_readable(kind: str) -> dict[str, Any]:
    violation = Violation(N_("The file is {kind}, which machines cannot read as data; publish "
                             "CSV, Excel, JSON or XML."), ["file"], {"kind": kind.upper()})
    return finding("L1-01", 1, FATAL, violation, None)


def rate(content: bytes) -> Rating:
    """Rate one file's content. Never raises: what cannot be read is reported as such."""
    size = len(content)
    digest = hashlib.sha256(content).hexdigest()
    if not content.strip():
        rating = failed("empty", size)
    else:
        try:
            rating = _rate(content, readers.sniff(content))
        except Exception:  # a reader's unexpected failure on a hostile or broken file
            log.exception("rating failed")
            rating = failed("unknown_format")
    rating.size, rating.sha256 = size, digest
    return rating


def _rate(content: bytes, kind: str) -> Rating:
    try:
        if kind == "text":
            book = readers.read_csv(content)
            if _is_tabular(book):
                return rate_table_book(book)
        if kind == "xlsx":
            return rate_table_book(readers.read_xlsx(content))
        if kind == "xls":
            return rate_table_book(readers.read_xls(content))
        if kind == "json":
            data = readers.parse_json(content)
            is_geo = isinstance(data, dict) and data.get("type") in (
                "FeatureCollection", "Feature", "GeometryCollection")
            return Rating(stage=3, l1=100, detected_format="GEOJSON" if is_geo else "JSON")
        if kind in ("rdf", "xml", "ods"):
            return Rating(stage=3, l1=100, detected_format=kind.upper())
        if kind == "zip":
            return _rate_archive(content)
        if kind in DOCUMENT:
            return Rating(stage=1, l1=0, findings=[_not_machine_readable("text")],
                          detected_format="TXT" if kind == "text" else "DOC")
        if kind in VISUAL:
            return Rating(stage=0, l1=0, findings=[_not_machine_readable(kind)],
                          detected_format=kind.upper())
    except readers.UnreadableFile as error:
        return failed(error.code)
    return failed("unknown_format")


def _is_tabular(book: readers.Workbook) -> bool:
    widths = [len(row) for row in book.sheets[0].rows[:50] if row]
    return len(widths) >= 2 and sum(1 for w in widths if w >= 2) >= len(widths) * 0.6


def _rate_archive(content: bytes) -> Rating:
    """A ZIP is rated by the best data file inside it."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    best: Rating | None = None
    members = [info for info in archive.infolist() if not info.is_dir()][:20]
    for info in members:
        if info.file_size > 50 * 1024 * 1024:
            continue
        inner = rate(archive.read(info))
        if inner.stage is not None and (best is None or inner.stage > best.stage):
            best = inner
    return best or failed("unknown_format")


def stage_with_metadata(content_stage: int | None, metadata_complete: bool,
                        standard_dataset_ok: bool | None) -> int | None:
    """Stage 4: stage 3 content plus complete TDPF metadata and, where the file is one of
    the 自治体標準オープンデータセット, conformance to its definition."""
    if content_stage == 3 and metadata_complete and standard_dataset_ok is not False:
        return 4
    return content_stage
