"""Ratings live in their own table, not in the dataset: they are computed, never edited, and
writing them must not create dataset revisions, activities or another rating job."""
from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Optional

from sqlalchemy import BigInteger, DateTime, Integer, UnicodeText
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib.standards import conformance


class ResourceRating(tk.BaseModel):  # type: ignore[misc]
    __tablename__ = "tdpf_schema_resource_rating"

    resource_id: Mapped[str] = mapped_column(UnicodeText, primary_key=True)
    package_id: Mapped[str] = mapped_column(UnicodeText)
    stage: Mapped[Optional[int]] = mapped_column(Integer)
    content_stage: Mapped[Optional[int]] = mapped_column(Integer)
    l1: Mapped[Optional[int]] = mapped_column(Integer)
    l2: Mapped[Optional[int]] = mapped_column(Integer)
    l3: Mapped[Optional[int]] = mapped_column(Integer)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    columns: Mapped[list[str]] = mapped_column(JSONB, default=list)
    detected_format: Mapped[Optional[str]] = mapped_column(UnicodeText)
    encoding: Mapped[Optional[str]] = mapped_column(UnicodeText)
    error: Mapped[Optional[str]] = mapped_column(UnicodeText)
    size: Mapped[Optional[int]] = mapped_column(BigInteger)
    sha256: Mapped[Optional[str]] = mapped_column(UnicodeText)
    fingerprint: Mapped[Optional[str]] = mapped_column(UnicodeText)
    checked_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    # Rules the content cannot show a file keeps (the scorer's ``Rating.not_judged``).
    not_judged: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # When the scorer last ran on this file (``checked_at``: when it was last looked at; a
    # 304 or the same bytes move ``checked_at`` only).
    scored_at: Mapped[Optional[datetime.datetime]] = mapped_column(DateTime(timezone=True))
    # The server's validators for conditional requests.
    etag: Mapped[Optional[str]] = mapped_column(UnicodeText)
    http_last_modified: Mapped[Optional[str]] = mapped_column(UnicodeText)
    # The 自治体標準オープンデータセット the file is (a ``lib.standards`` id) and how closely
    # it follows it (``conformance.Conformance`` as a dict, without its messages, plus
    # ``identified_by`` and ``similarity``); both None where no standard applies, and on
    # ratings made before they were checked.
    standard: Mapped[Optional[str]] = mapped_column(UnicodeText)
    conformance: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONB)

    @classmethod
    def for_package(cls, package_id: str) -> dict[str, "ResourceRating"]:
        return cls.for_packages([package_id]).get(package_id, {})

    @classmethod
    def for_packages(cls, package_ids: list[str]) -> dict[str, dict[str, "ResourceRating"]]:
        """``for_package`` of many datasets in one query: package id → resource id → row."""
        found: dict[str, dict[str, ResourceRating]] = {}
        for row in model.Session.query(cls).filter(cls.package_id.in_(package_ids)):
            found.setdefault(row.package_id, {})[row.resource_id] = row
        return found

    def as_resource_fields(self) -> dict[str, Any]:
        return {
            "tdpf_mr_stage": self.stage,
            "tdpf_mr_l1": self.l1,
            "tdpf_mr_l2": self.l2,
            "tdpf_mr_l3": self.l3,
            "tdpf_mr_findings": self.findings or [],
            "tdpf_mr_not_judged": self.not_judged or [],
            "tdpf_mr_checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "tdpf_mr_error": self.error,
            "tdpf_mr_format": self.detected_format,
            "tdpf_mr_encoding": self.encoding,
            "tdpf_mr_standard": self.standard,
            "tdpf_mr_conformance": conformance_for_show(self.conformance),
        }


def conformance_for_show(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored conformance with its messages, in Japanese and English (made when shown,
    so they follow the translations)."""
    if not stored:
        return None
    fields = {field.name for field in dataclasses.fields(conformance.Conformance)}
    try:
        checked = conformance.Conformance(**{k: v for k, v in stored.items() if k in fields})
        messages = checked.messages()
    except (TypeError, KeyError):  # stored by another version
        messages = []
    return dict(stored, messages=messages)
