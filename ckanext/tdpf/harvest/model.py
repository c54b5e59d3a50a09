"""What a harvest job did beyond its harvest objects: records left unchanged create no
object (an unchanged run writes no datasets), so they are counted here."""
from __future__ import annotations

import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, Integer, UnicodeText
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
