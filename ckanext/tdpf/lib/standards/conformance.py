"""Which 自治体標準オープンデータセット a table is, and how closely it follows it.

``identify`` names the standard a file claims or resembles:

1. by its file name, ``<code>_<id>.csv`` (``131130_public_toilet.csv``), also with the
   dataset number Tokyo's wards put in between (``131083_013_public_toilet.csv``), a
   date after (``131105_public_toilet_20210401.csv``) or a prefix before;
2. by its header: at least 80 % of the current layout's columns (``layout`` "new") or of
   the former 推奨データセット layout's (``layout`` "old") under their exact names, one of
   them a column only this standard has (the standards share many columns: 名称, 住所,
   緯度, 経度 ... make no standard);
3. by resemblance (``layout`` "local"): at least 25 % of the standard's columns found under
   their names, old names or the synonyms of local layouts, including at least a fifth of
   the columns only this standard has.
A header match wins over a resemblance; between two of a kind, the larger share wins.

``check`` compares a table with the standard, column by column: required (◎) and
recommended (○) columns missing under their official names, columns found under another
name (an old or local one), columns the standard does not have, the order, and the values
of each column found against its format (empty cells of a required column are errors too).

The score (0–100)::

    C = (Σ weight of columns found under the official name
         + ½ Σ weight of columns found under another name) / Σ weight of all columns
        weight: required 3, recommended 2, optional 1
    V = 1 − (bad cells / checked cells)      (1 when nothing is checked)
        checked: the non-empty cells of found columns with a format other than free text,
        and every cell of a found required column; bad: a value not in the column's
        format, or an empty required cell
    score = round(100 × (0.6 × C + 0.4 × V))
            − 10 per required column missing under its official name
            − 5 if the order differs
            − 2 per column the standard does not have (at most 10), within 0..100;
            100 only for the exact layout with no error at all.

``conforms`` (what stage 4 of the data rate asks): no required column missing under its
official name, no value of a required column in the wrong format and no invalid
全国地方公共団体コード in any code column. Empty cells of a required column lower the
score and are listed, but do not decide it (the definition's common rules on empty values
could not be read; a real list in the new layout leaves 設置位置 empty where there is
nothing to say).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import re
from typing import Any, Iterable

from ckanext.tdpf.lib.i18n import N_, english, japanese

from . import Standard, formats, normalize, standards

WEIGHTS = {"required": 3, "recommended": 2, "optional": 1}
EXAMPLES = 5
NEW_LAYOUT = 0.8
RESEMBLES = 0.25
RESEMBLES_DISTINCT = 0.2


@dataclasses.dataclass
class Identification:
    standard_id: str
    how: str          # "file_name" | "header" | "resembles"
    layout: str       # "new" | "old" | "local"
    similarity: float  # 0..1 share of the standard's columns found (under any name)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Conformance:
    standard_id: str
    layout: str
    score: int                          # 0..100
    missing_required: list[str]
    missing_recommended: list[str]
    unknown_columns: list[str]          # header columns the standard does not have
    order_ok: bool
    column_errors: list[dict]           # {"column", "header", "format", "count", "rows",
                                        #  "examples"}; format "required": empty cells
    renamed: list[dict] = dataclasses.field(default_factory=list)
    # {"column": official name, "header": name in the file, "how": "spelling" | "old_layout"
    #  | "synonym"}
    conforms: bool = False
    rows: int = 0                       # data rows checked

    def as_dict(self) -> dict[str, Any]:
        found = dataclasses.asdict(self)
        found["messages"] = self.messages()
        return found

    def messages(self) -> list[dict[str, str]]:
        """What is wrong, one bilingual sentence each (required columns first)."""
        said: list[tuple[str, dict[str, Any]]] = []
        renamed = {item["column"]: item["header"] for item in self.renamed}
        for name in self.missing_required:
            if name in renamed:
                said.append((N_("Required column 「{column}」 is missing; the file has "
                                "「{header}」, which should be renamed."),
                             {"column": name, "header": renamed[name]}))
            else:
                said.append((N_("Required column 「{column}」 is missing."), {"column": name}))
        for error in self.column_errors:
            params = {"column": error["column"], "count": error["count"],
                      "rows": ", ".join(str(row) for row in error["rows"]),
                      "examples": "、".join(f"「{value}」" for value in error["examples"])}
            if error["format"] == "required":
                said.append((N_("「{column}」 is required but empty in {count} rows (rows "
                                "{rows})."), params))
            else:
                params["format"] = formats.DESCRIPTIONS[error["format"]]
                said.append((N_("「{column}」 should be {format}: {count} values are not "
                                "(rows {rows}; e.g. {examples})."), params))
        for name in self.missing_recommended:
            if name in renamed:
                said.append((N_("Recommended column 「{column}」 is missing; the file has "
                                "「{header}」, which should be renamed."),
                             {"column": name, "header": renamed[name]}))
            else:
                said.append((N_("Recommended column 「{column}」 is missing."),
                             {"column": name}))
        if self.unknown_columns:
            said.append((N_("Columns the standard does not have: {columns}."),
                         {"columns": "、".join(f"「{c}」" for c in self.unknown_columns)}))
        if not self.order_ok:
            said.append((N_("The columns are not in the standard's order."), {}))
        return [{"ja": _japanese(message, params), "en": _english(message, params)}
                for message, params in said]


def _japanese(message: str, params: dict[str, Any]) -> str:
    if "format" in params:
        params = dict(params, format=japanese(params["format"]))
    return japanese(message, **params)


def _english(message: str, params: dict[str, Any]) -> str:
    return english(message, **params)


# -- matching a header against a standard ------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Match:
    index: int        # the header column
    header: str       # its name in the file
    column: str       # the standard's column
    how: str          # "same" | "spelling" | "old_layout" | "synonym"


@functools.lru_cache(maxsize=None)
def _lookup(standard: Standard) -> tuple[dict[str, str], dict[str, str]]:
    """A standard's columns by normalized official name and by normalized synonym."""
    by_spelling = {normalize(name): name for name in standard.names}
    by_synonym: dict[str, str] = {}
    for column in standard.columns:
        for synonym in column.synonyms:
            by_synonym.setdefault(normalize(synonym), column.name)
    return by_spelling, by_synonym


def column_matches(standard: Standard, header: list[str],
                   keys: list[str] | None = None) -> list[Match]:
    """Each header column that means a column of the standard, in header order. A standard
    column is matched once under its official name; several old or local names may mean
    one column (都道府県名 and 市区町村名 both mean 地方公共団体名). ``keys``: the header's
    names already normalized."""
    by_spelling, by_synonym = _lookup(standard)
    official = standard.column_set
    matches: list[Match] = []
    taken: set[str] = set()
    for index, raw in enumerate(header):
        name = str(raw or "").strip()
        if not name:
            continue
        key = keys[index] if keys is not None else normalize(name)
        if name in official:
            target, how = name, "same"
        elif key in by_spelling:
            target, how = by_spelling[key], "spelling"
        elif name in standard.old_mapping:
            target, how = standard.old_mapping[name], "old_layout"
        elif key in by_synonym:
            target, how = by_synonym[key], "synonym"
        else:
            continue
        if target in taken and how in ("same", "spelling"):
            continue
        taken.add(target)
        matches.append(Match(index, name, target, how))
    return matches


def _distinct() -> dict[str, set[str]]:
    """Per standard, its columns no other standard has (by their names and synonyms)."""
    keys = {sid: {c.name: {normalize(n) for n in (c.name, *c.synonyms)}
                  for c in standard.columns}
            for sid, standard in standards().items()}
    found = {}
    for sid, columns in keys.items():
        others = set().union(*(set().union(*cols.values())
                               for other, cols in keys.items() if other != sid))
        found[sid] = {name for name, names in columns.items() if not names & others}
    return found


_DISTINCT: dict[str, set[str]] | None = None


def distinct_columns(standard_id: str) -> set[str]:
    global _DISTINCT
    if _DISTINCT is None:
        _DISTINCT = _distinct()
    return _DISTINCT.get(standard_id, set())


def _shares(standard: Standard, header: list[str], keys: list[str] | None = None
            ) -> tuple[float, float, float, int]:
    """(exact share of the new layout, exact share of the old layout, share found under any
    name, how many of the columns only this standard has were found)."""
    names = set(header)
    new = len(standard.column_set & names) / len(standard.columns)
    old = (len(standard.old_set & names) / len(standard.old_columns)
           if standard.old_columns else 0.0)
    found = {match.column for match in column_matches(standard, header, keys)}
    similarity = len(found) / len(standard.columns)
    return new, old, similarity, len(found & distinct_columns(standard.id))


def _layout(new: float, old: float) -> str:
    if new >= NEW_LAYOUT and new >= old:
        return "new"
    if old >= NEW_LAYOUT:
        return "old"
    return "local"


@functools.lru_cache(maxsize=1)
def _file_name_rule() -> re.Pattern:
    ids = "|".join(sorted((re.escape(s) for s in standards()), key=len, reverse=True))
    return re.compile(rf"(?:^|[^0-9])[0-9]{{6}}_(?:[0-9]{{1,3}}_)?({ids})"
                      rf"(?:_[0-9]{{8}}){{0,2}}\.(?:csv|xlsx|xls|tsv|txt)$")


def file_name_standard(file_name: str | None) -> Standard | None:
    """The standard a file's name claims (``…/131130_public_toilet.csv`` and variants)."""
    if not file_name:
        return None
    found = _file_name_rule().search(re.split(r"[/\\]", file_name)[-1].lower())
    return standards().get(found.group(1)) if found else None


def identify(file_name: str | None, header: list[str]) -> Identification | None:
    """The standard a table claims (file name) or follows (header) or resembles; None."""
    header = [str(h or "").strip() for h in header or []]
    keys = [normalize(name) for name in header]
    claimed = file_name_standard(file_name)
    if claimed is not None:
        new, old, similarity, _ = _shares(claimed, header, keys)
        return Identification(claimed.id, "file_name", _layout(new, old), round(similarity, 3))
    if not header:
        return None
    best: tuple[float, Identification] | None = None
    for standard in standards().values():
        new, old, similarity, distinct = _shares(standard, header, keys)
        layout = _layout(new, old)
        needed = max(1, math.ceil(RESEMBLES_DISTINCT * len(distinct_columns(standard.id))))
        if layout != "local" and distinct >= 1:
            rank = 2 + max(new, old)
            found = Identification(standard.id, "header", layout, round(similarity, 3))
        elif similarity >= RESEMBLES and distinct >= needed:
            rank = similarity
            found = Identification(standard.id, "resembles", "local", round(similarity, 3))
        else:
            continue
        if best is None or rank > best[0]:
            best = (rank, found)
    return best[1] if best else None


# -- checking a table --------------------------------------------------------------------

def _cell(row: list[Any], index: int) -> str:
    if index >= len(row):
        return ""
    value = row[index]
    return "" if value is None else str(value).strip()


def check(standard: Standard, header: list[str], rows: Iterable[list[Any]]) -> Conformance:
    """How closely a table (its header and data rows, cells as text) follows a standard."""
    header = [str(h or "").strip() for h in header]
    rows = list(rows)
    matches = column_matches(standard, header)
    first: dict[str, Match] = {}
    for match in matches:
        first.setdefault(match.column, match)
    official = {column for column, match in first.items()
                if match.how == "same"}
    renamed = [{"column": m.column, "header": m.header, "how": m.how}
               for m in first.values() if m.how != "same"]
    missing_required = [name for name in standard.required() if name not in official]
    missing_recommended = [name for name in standard.recommended() if name not in official]
    matched = {match.index for match in matches}
    unknown = []
    for index, name in enumerate(header):
        if index in matched:
            continue
        if name:
            unknown.append(name)
        elif any(_cell(row, index) for row in rows):
            unknown.append(f"({index + 1})")
    positions = [standard.names.index(m.column) for m in sorted(first.values(),
                                                                key=lambda m: m.index)]
    order_ok = positions == sorted(positions)

    errors: list[dict[str, Any]] = []
    checked = bad = 0
    for column in standard.columns:
        match = first.get(column.name)
        if match is None:
            continue
        test = formats.FORMATS[column.format]
        required = column.requirement == "required"
        wrong: list[tuple[int, str]] = []
        empty: list[int] = []
        for number, row in enumerate(rows, start=1):
            value = _cell(row, match.index)
            if not value:
                if required:
                    checked += 1
                    empty.append(number)
                continue
            if column.format == "text":
                continue
            checked += 1
            if not test(value):
                wrong.append((number, value))
        if empty:
            errors.append({"column": column.name, "header": match.header,
                           "format": "required", "count": len(empty),
                           "rows": empty[:EXAMPLES], "examples": []})
        if wrong:
            examples = list(dict.fromkeys(value for _, value in wrong))[:EXAMPLES]
            errors.append({"column": column.name, "header": match.header,
                           "format": column.format, "count": len(wrong),
                           "rows": [number for number, _ in wrong[:EXAMPLES]],
                           "examples": examples})
        bad += len(empty) + len(wrong)

    total = sum(WEIGHTS[c.requirement] for c in standard.columns)
    weight = sum(WEIGHTS[c.requirement] * (1.0 if c.name in official else 0.5)
                 for c in standard.columns if c.name in first)
    columns_share = weight / total if total else 0.0
    values_share = 1 - bad / checked if checked else 1.0
    score = round(100 * (0.6 * columns_share + 0.4 * values_share))
    score -= 10 * len(missing_required)
    if not order_ok:
        score -= 5
    score -= min(10, 2 * len(unknown))
    score = max(0, min(100, score))
    perfect = (len(official) == len(standard.columns) and not errors and not unknown
               and order_ok)
    if not perfect:
        score = min(score, 99)
    required_names = set(standard.required())
    codes = {c.name for c in standard.columns if c.format == "lgcode"}
    conforms = not missing_required and not any(
        error["format"] != "required" and (error["column"] in required_names
                                           or error["column"] in codes)
        for error in errors)
    new, old, _, _ = _shares(standard, header)
    return Conformance(
        standard_id=standard.id, layout=_layout(new, old), score=score,
        missing_required=missing_required, missing_recommended=missing_recommended,
        unknown_columns=unknown, order_ok=order_ok, column_errors=errors, renamed=renamed,
        conforms=conforms, rows=len(rows))
