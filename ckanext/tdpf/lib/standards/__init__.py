"""自治体標準オープンデータセット (the Digital Agency's standard open datasets) as data.

One YAML file per standard in ``data/``, each citing where its definition comes from: the
columns of the current layout in order with their requirement (◎ required, ○ recommended,
blank optional), format (a key of ``formats.FORMATS``) and the header names of old or
local layouts meaning the same column; the former 推奨データセット layout and its mapping to
the current one; the file-name rule ``<全国地方公共団体コード>_<id>.csv``.

Only the A-13 公衆トイレ一覧 definition was seen with its requirements and formats; the
others' layouts come from published files and their requirements by analogy (``inferred``
and ``notes`` in each file say how far to trust them).
"""
from __future__ import annotations

import dataclasses
import functools
import pathlib
import unicodedata

import yaml

from . import formats

DATA = pathlib.Path(__file__).parent / "data"
REQUIREMENTS = ("required", "recommended", "optional")


@dataclasses.dataclass(frozen=True)
class Column:
    name: str                  # the official column name, e.g. "所在地_連結表記"
    requirement: str           # "required" (◎) | "recommended" (○) | "optional"
    format: str                # a key of formats.FORMATS
    synonyms: tuple[str, ...] = ()  # header names of old/local layouts meaning this column


@dataclasses.dataclass(frozen=True)
class Standard:
    id: str                    # "public_toilet" (= the file-name slug)
    number: str                # "A-13"
    title: str                 # "公衆トイレ一覧"
    title_en: str
    columns: tuple[Column, ...]          # in the official order
    old_columns: tuple[str, ...]         # the 推奨データセット (old) layout, in order
    old_mapping: dict[str, str]          # old column name -> new column name
    sources: tuple[str, ...]             # where the definition comes from
    inferred: bool = False               # parts of the definition are inferred (see notes)
    notes: str = ""
    file_name_rule: str = "{lgcode}_{id}.csv"  # the file-name rule, as in the YAML

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @functools.cached_property
    def column_set(self) -> frozenset[str]:
        return frozenset(self.names)

    @functools.cached_property
    def old_set(self) -> frozenset[str]:
        return frozenset(self.old_columns)

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.requirement == "required")

    def recommended(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.requirement == "recommended")

    def __hash__(self) -> int:  # old_mapping is a dict; a standard is known by its id
        return hash(self.id)


def normalize(name: str) -> str:
    """A header as compared: NFKC (full-width brackets and digits as half-width), no spaces
    or line breaks, ○/〇 alike, lower case (for the English keys of LinkData files)."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = "".join(text.split()).replace("〇", "○").strip('"\'')
    return text.lower()


def _load(path: pathlib.Path) -> Standard:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    old_mapping = {str(old): str(new) for old, new in (raw.get("old_mapping") or {}).items()}
    columns = []
    for item in raw["columns"]:
        name = str(item["name"])
        if item["requirement"] not in REQUIREMENTS:
            raise ValueError(f"{path.name}: {name}: unknown requirement {item['requirement']}")
        if item["format"] not in formats.FORMATS:
            raise ValueError(f"{path.name}: {name}: unknown format {item['format']}")
        synonyms = [str(s) for s in item.get("synonyms") or []]
        synonyms += [old for old, new in old_mapping.items() if new == name and old != name]
        columns.append(Column(name, item["requirement"], item["format"],
                              tuple(dict.fromkeys(synonyms))))
    names = {column.name for column in columns}
    if len(names) != len(columns):
        raise ValueError(f"{path.name}: a column is listed twice")
    unknown = {new for new in old_mapping.values() if new not in names}
    if unknown:
        raise ValueError(f"{path.name}: old_mapping maps to unknown columns {sorted(unknown)}")
    return Standard(id=str(raw["id"]), number=str(raw["number"]), title=str(raw["title"]),
                    title_en=str(raw["title_en"]), columns=tuple(columns),
                    old_columns=tuple(str(c) for c in raw.get("old_columns") or []),
                    old_mapping=old_mapping,
                    sources=tuple(str(s) for s in raw.get("sources") or []),
                    inferred=bool(raw.get("inferred")), notes=str(raw.get("notes") or ""),
                    file_name_rule=str(raw.get("file_name") or "{lgcode}_{id}.csv"))


@functools.lru_cache(maxsize=1)
def standards() -> dict[str, Standard]:
    """Every standard, by id, in the order of their numbers (A-01, A-03, ...)."""
    loaded = [_load(path) for path in sorted(DATA.glob("*.yaml"))]
    return {standard.id: standard for standard in sorted(loaded, key=lambda s: s.number)}


def get(standard_id: str | None) -> Standard | None:
    return standards().get(standard_id or "")


def file_name(standard: Standard, lgcode: str) -> str:
    """The file-name rule: ``131130_public_toilet.csv``."""
    return standard.file_name_rule.format(lgcode=lgcode, id=standard.id)
