"""The harvest's own tables: what a job did beyond its harvest objects (records left
unchanged create no object, so they are counted here), and which sources hold which
dataset (a dataset published by several catalogs is one dataset, held by each)."""
from __future__ import annotations

import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, Integer, UnicodeText, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import ckan.model as model
import ckan.plugins.toolkit as tk

# The stage of the HarvestObjectError rows that are warnings, not errors: the record was
# imported, with values cleaned (mapping.clean_dataset). Counted apart from errors.
WARNING_STAGE = "Warning"


class JobSummary(tk.BaseModel):  # type: ignore[misc]
    __tablename__ = "tdpf_harvest_job_summary"

    job_id: Mapped[str] = mapped_column(UnicodeText, primary_key=True)
    listed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    gather_errors: Mapped[int] = mapped_column(Integer, default=0)
    listing_complete: Mapped[bool] = mapped_column(Boolean, default=True)
    withdrawal_refused: Mapped[Optional[str]] = mapped_column(UnicodeText)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))

    @classmethod
    def get(cls, job_id: str) -> "JobSummary | None":
        return model.Session.get(cls, job_id)


class Holding(tk.BaseModel):  # type: ignore[misc]
    """One source's record of a local dataset. A dataset that several catalogs publish
    (cross-source duplicates, ``mapping.match_keys``) has a holding per source; its content
    comes from the holding ``shown``, the one of the source with the highest precedence
    (``config``). A source holds a dataset through one record at most."""
    __tablename__ = "tdpf_harvest_holding"
    __table_args__ = (UniqueConstraint("source_id", "package_id",
                                       name="tdpf_harvest_holding_source_package"),)

    source_id: Mapped[str] = mapped_column(UnicodeText, primary_key=True)
    guid: Mapped[str] = mapped_column(UnicodeText, primary_key=True)  # the remote id
    package_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    # the source's current harvest object: its content is the record's mapped dataset
    object_id: Mapped[Optional[str]] = mapped_column(UnicodeText)
    content_hash: Mapped[Optional[str]] = mapped_column(UnicodeText)
    url_key: Mapped[Optional[str]] = mapped_column(UnicodeText, index=True)
    title_key: Mapped[Optional[str]] = mapped_column(UnicodeText, index=True)
    remote_url: Mapped[Optional[str]] = mapped_column(UnicodeText)  # its page at the source
    shown: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
