"""Merged datasets (one standard dataset across municipalities): what each was defined from
and how its last merge went. Own table, no foreign keys to core tables: a deleted source
leaves its record until the next merge removes its rows."""
from __future__ import annotations

import datetime
import logging
from typing import Any, Optional

from sqlalchemy import DateTime, Integer, UnicodeText
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import records

log = logging.getLogger(__name__)


_id, now, _iso = records.new_id, records.now, records.iso


class Merge(tk.BaseModel):  # type: ignore[misc]
    """One merged dataset: its standard and sources (resource ids and/or organizations),
    who set it up (re-merges read the sources as this user), the two files it holds, and
    the outcome of the last merge (``sources``: per source its rows and errors)."""

    __tablename__ = "tdpf_prep_merge"

    id: Mapped[str] = mapped_column(UnicodeText, primary_key=True, default=_id)
    package_id: Mapped[str] = mapped_column(UnicodeText, unique=True)
    standard: Mapped[str] = mapped_column(UnicodeText, index=True)
    resource_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)
    organizations: Mapped[list[str]] = mapped_column(JSONB, default=list)
    user_id: Mapped[str] = mapped_column(UnicodeText)
    merged_resource_id: Mapped[Optional[str]] = mapped_column(UnicodeText)
    trace_resource_id: Mapped[Optional[str]] = mapped_column(UnicodeText)
    state: Mapped[str] = mapped_column(UnicodeText, default="pending")
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[Optional[str]] = mapped_column(UnicodeText)
    conformance: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONB)
    last_merged: Mapped[Optional[datetime.datetime]] = mapped_column(DateTime(timezone=True))
    last_attempt: Mapped[Optional[datetime.datetime]] = mapped_column(
        DateTime(timezone=True))
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=now)

    @classmethod
    def for_package(cls, package_id: str) -> "Merge | None":
        return _read(lambda: model.Session.query(cls).filter(
            cls.package_id == package_id).one_or_none(), None)

    @classmethod
    def all(cls, standard: str | None = None) -> list["Merge"]:
        query = model.Session.query(cls)
        if standard:
            query = query.filter(cls.standard == standard)
        return _read(lambda: query.order_by(cls.created).all(), [])

    @classmethod
    def package_ids(cls) -> set[str]:
        return _read(lambda: {row[0] for row in model.Session.query(cls.package_id)}, set())

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "package_id": self.package_id, "standard": self.standard,
            "resource_ids": list(self.resource_ids or []),
            "organizations": list(self.organizations or []),
            "merged_resource_id": self.merged_resource_id,
            "trace_resource_id": self.trace_resource_id,
            "state": self.state, "sources": list(self.sources or []),
            "errors": list(self.errors or []), "row_count": self.row_count,
            "conformance": self.conformance,
            "last_merged": _iso(self.last_merged), "last_attempt": _iso(self.last_attempt),
            "created": _iso(self.created),
        }


def _read(query: Any, default: Any) -> Any:
    """A read for pages every site shows (dataset and organization pages): a site whose
    database lacks the table (``ckan db upgrade`` not run for tdpf_prep) shows no merges
    instead of failing the page; the read runs in a savepoint, so the request's
    transaction goes on."""
    try:
        with model.Session.begin_nested():
            return query()
    except ProgrammingError:
        log.warning("table tdpf_prep_merge missing: run ckan db upgrade -p tdpf_prep")
        return default
