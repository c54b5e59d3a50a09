"""The data rate before and after preparing, with the scorer of ``lib/rating``."""
from __future__ import annotations

from typing import Any

from ckanext.tdpf.lib.rating import Rating, rate

from . import PreparedTable


def summary(rating: Rating) -> dict[str, Any]:
    return {"stage": rating.stage, "L1": rating.l1, "L2": rating.l2, "L3": rating.l3}


def after(table: PreparedTable) -> dict[str, Any]:
    return summary(rate(table.csv_bytes()))


def worst(ratings: list[dict[str, Any]]) -> dict[str, Any]:
    """A file's rating from its tables' ratings: the weakest table's, as the scorer rates a
    workbook by its weakest sheet."""
    def low(key: str) -> Any:
        scores = [r[key] for r in ratings if r[key] is not None]
        return min(scores) if scores else None
    return {key: low(key) for key in ("stage", "L1", "L2", "L3")}
