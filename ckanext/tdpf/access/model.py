"""Access requests, grants, usage records, charges and organization applications (SPEC §4).

Own tables, no foreign keys to core tables (a dataset or user deleted in CKAN leaves the
record of who had access to what, which providers and auditors need)."""
from __future__ import annotations

import datetime
from typing import Any, Optional

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import records


_id, now, _iso = records.new_id, records.now, records.iso


class AccessRequest(tk.BaseModel):  # type: ignore[misc]
    __tablename__ = "tdpf_access_request"

    id: Mapped[str] = mapped_column(UnicodeText, primary_key=True, default=_id)
    package_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    user_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    purpose: Mapped[str] = mapped_column(UnicodeText)
    purpose_text: Mapped[str] = mapped_column(UnicodeText, default="")
    user_type: Mapped[str] = mapped_column(UnicodeText)
    pledge_no_other_purpose: Mapped[bool] = mapped_column(Boolean)
    pledge_no_personal_linking: Mapped[bool] = mapped_column(Boolean)
    terms_version: Mapped[str] = mapped_column(UnicodeText)
    state: Mapped[str] = mapped_column(UnicodeText, default="pending")
    decided_by: Mapped[Optional[str]] = mapped_column(UnicodeText)
    decided_at: Mapped[Optional[datetime.datetime]] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(UnicodeText, default="")
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=now)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "package_id": self.package_id, "user_id": self.user_id,
            "purpose": self.purpose, "purpose_text": self.purpose_text,
            "user_type": self.user_type,
            "pledge_no_other_purpose": self.pledge_no_other_purpose,
            "pledge_no_personal_linking": self.pledge_no_personal_linking,
            "terms_version": self.terms_version, "state": self.state,
            "decided_by": self.decided_by, "decided_at": _iso(self.decided_at),
            "reason": self.reason, "created": _iso(self.created),
        }


class Grant(tk.BaseModel):  # type: ignore[misc]
    __tablename__ = "tdpf_access_grant"
    __table_args__ = (Index("tdpf_access_grant_user_package_idx", "user_id", "package_id"),)

    id: Mapped[str] = mapped_column(UnicodeText, primary_key=True, default=_id)
    request_id: Mapped[Optional[str]] = mapped_column(UnicodeText)
    package_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    user_id: Mapped[str] = mapped_column(UnicodeText)
    valid_from: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=now)
    valid_until: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    terms_version: Mapped[str] = mapped_column(UnicodeText)
    daily_quota: Mapped[Optional[int]] = mapped_column(Integer)
    granted_by: Mapped[str] = mapped_column(UnicodeText)
    revoked_at: Mapped[Optional[datetime.datetime]] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[Optional[str]] = mapped_column(UnicodeText)
    revoke_reason: Mapped[str] = mapped_column(UnicodeText, default="")
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=now)
    expiry_notice_sent_at: Mapped[Optional[datetime.datetime]] = mapped_column(
        DateTime(timezone=True))

    @property
    def active(self) -> bool:
        current = now()
        return (self.revoked_at is None and self.valid_from <= current < self.valid_until)

    @classmethod
    def active_for(cls, user_id: str, package_id: str) -> "Grant | None":
        current = now()
        return (model.Session.query(cls)
                .filter(cls.user_id == user_id, cls.package_id == package_id,
                        cls.revoked_at.is_(None), cls.valid_from <= current,
                        cls.valid_until > current)
                .order_by(cls.valid_until.desc()).first())

    @classmethod
    def active_filter(cls):
        current = now()
        return (cls.revoked_at.is_(None)) & (cls.valid_from <= current) & (
            cls.valid_until > current)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "request_id": self.request_id, "package_id": self.package_id,
            "user_id": self.user_id, "valid_from": _iso(self.valid_from),
            "valid_until": _iso(self.valid_until), "terms_version": self.terms_version,
            "daily_quota": self.daily_quota, "granted_by": self.granted_by,
            "revoked_at": _iso(self.revoked_at), "revoked_by": self.revoked_by,
            "revoke_reason": self.revoke_reason, "active": self.active,
            "created": _iso(self.created),
        }


class Usage(tk.BaseModel):  # type: ignore[misc]
    __tablename__ = "tdpf_access_usage"
    __table_args__ = (Index("tdpf_access_usage_grant_at_idx", "grant_id", "at"),)

    id: Mapped[str] = mapped_column(UnicodeText, primary_key=True, default=_id)
    grant_id: Mapped[Optional[str]] = mapped_column(UnicodeText)
    package_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    resource_id: Mapped[str] = mapped_column(UnicodeText)
    user_id: Mapped[str] = mapped_column(UnicodeText)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=now)
    bytes: Mapped[Optional[int]] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(UnicodeText)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "grant_id": self.grant_id, "package_id": self.package_id,
                "resource_id": self.resource_id, "user_id": self.user_id,
                "at": _iso(self.at), "bytes": self.bytes, "channel": self.channel}


class Charge(tk.BaseModel):  # type: ignore[misc]
    __tablename__ = "tdpf_access_charge"

    id: Mapped[str] = mapped_column(UnicodeText, primary_key=True, default=_id)
    grant_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    package_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    user_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    amount_jpy: Mapped[int] = mapped_column(BigInteger)
    price_unit: Mapped[Optional[str]] = mapped_column(UnicodeText)
    exemption: Mapped[Optional[str]] = mapped_column(UnicodeText)
    state: Mapped[str] = mapped_column(UnicodeText, default="due")
    updated_by: Mapped[Optional[str]] = mapped_column(UnicodeText)
    updated_at: Mapped[Optional[datetime.datetime]] = mapped_column(DateTime(timezone=True))
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=now)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "grant_id": self.grant_id, "package_id": self.package_id,
                "user_id": self.user_id, "amount_jpy": self.amount_jpy,
                "price_unit": self.price_unit, "exemption": self.exemption,
                "state": self.state, "updated_by": self.updated_by,
                "updated_at": _iso(self.updated_at), "created": _iso(self.created)}


class OrganizationApplication(tk.BaseModel):  # type: ignore[misc]
    __tablename__ = "tdpf_access_org_application"

    id: Mapped[str] = mapped_column(UnicodeText, primary_key=True, default=_id)
    user_id: Mapped[str] = mapped_column(UnicodeText, index=True)
    name: Mapped[str] = mapped_column(UnicodeText)
    title: Mapped[str] = mapped_column(UnicodeText)
    description: Mapped[str] = mapped_column(UnicodeText, default="")
    provider_type: Mapped[str] = mapped_column(UnicodeText)
    municipality_code: Mapped[Optional[str]] = mapped_column(UnicodeText)
    contact_email: Mapped[str] = mapped_column(UnicodeText)
    state: Mapped[str] = mapped_column(UnicodeText, default="pending")
    organization_id: Mapped[Optional[str]] = mapped_column(UnicodeText)
    decided_by: Mapped[Optional[str]] = mapped_column(UnicodeText)
    decided_at: Mapped[Optional[datetime.datetime]] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(UnicodeText, default="")
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=now)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "user_id": self.user_id, "name": self.name,
                "title": self.title, "description": self.description,
                "provider_type": self.provider_type,
                "municipality_code": self.municipality_code,
                "contact_email": self.contact_email, "state": self.state,
                "organization_id": self.organization_id, "decided_by": self.decided_by,
                "decided_at": _iso(self.decided_at), "reason": self.reason,
                "created": _iso(self.created)}

