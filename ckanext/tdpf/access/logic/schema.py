"""Validation schemas of the access actions; errors name the field in Japanese and English."""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Schema

from ckanext.tdpf.lib import validation
from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import N_, bilingual

Invalid = tk.Invalid
missing = tk.missing


required = validation.required


def text(limit: int):
    def validator(value: Any) -> Any:
        value = validation.check_text(value, limit)
        return value.strip() if isinstance(value, str) else value
    return validator


def one_of(values: dict[str, Any]):
    def validator(value: Any) -> Any:
        if value is missing or value is None or value == "":
            return value
        if not isinstance(value, str) or value not in values:
            raise Invalid(bilingual(N_("Unknown value \"{value}\"; allowed: {allowed}."),
                                    value=str(value)[:100], allowed=", ".join(values)))
        return value
    return validator


def pledge(value: Any) -> Any:
    """A pledge counts only when explicitly given."""
    if value is True or value in ("true", "True", "on", "1"):
        return True
    raise Invalid(bilingual(N_("This pledge is required to request access.")))


def boolean(value: Any) -> Any:
    if value in (True, "true", "True", "on", "1"):
        return True
    if value in (False, "false", "False", "off", "0", "", None, missing):
        return False
    raise Invalid(bilingual(N_("Must be true or false.")))


def future_datetime(value: Any) -> Any:
    if value is missing or value is None or value == "":
        return value
    if not isinstance(value, str):
        raise Invalid(bilingual(N_("Must be a date and time in ISO 8601, e.g. "
                                   "2027-03-31T23:59:59+09:00.")))
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(bilingual(N_("Must be a date and time in ISO 8601, e.g. "
                                   "2027-03-31T23:59:59+09:00."))) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
    if parsed <= datetime.datetime.now(datetime.timezone.utc):
        raise Invalid(bilingual(N_("Must be in the future.")))
    return parsed


def positive_int(value: Any) -> Any:
    if value is missing or value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Invalid(bilingual(N_("Must be a whole number of at least 1.")))
    try:
        number = int(value)
    except ValueError:
        raise Invalid(bilingual(N_("Must be a whole number of at least 1."))) from None
    if number < 1 or number > 10**9:
        raise Invalid(bilingual(N_("Must be a whole number of at least 1.")))
    return number


def request_create() -> Schema:
    return {
        "package_id": [required, text(100)],
        "purpose": [required, one_of(vocab.PURPOSES)],
        "purpose_text": [tk.get_validator("ignore_missing"), text(2000)],
        "user_type": [required, one_of(vocab.USER_TYPES)],
        "pledge_no_other_purpose": [pledge],
        "pledge_no_personal_linking": [pledge],
    }


def request_decide() -> Schema:
    return {
        "id": [required, text(100)],
        "decision": [required, one_of({"approve": 1, "reject": 1})],
        "expires": [tk.get_validator("ignore_missing"), future_datetime],
        "reason": [tk.get_validator("ignore_missing"), text(2000)],
        "daily_quota": [tk.get_validator("ignore_missing"), positive_int],
    }


def grant_revoke() -> Schema:
    return {"id": [required, text(100)], "reason": [required, text(2000)]}


def charge_update() -> Schema:
    return {"id": [required, text(100)],
            "state": [required, one_of({"due": 1, "paid": 1, "waived": 1})],
            "reason": [tk.get_validator("ignore_missing"), text(2000)]}


def org_apply() -> Schema:
    return {
        "name": [required, text(100), tk.get_validator("name_validator")],
        "title": [required, text(200)],
        "description": [tk.get_validator("ignore_missing"), text(5000)],
        "provider_type": [required, one_of(vocab.PROVIDER_TYPES)],
        "municipality_code": [tk.get_validator("ignore_missing"), text(6)],
        "contact_email": [required, text(200), tk.get_validator("email_validator")],
    }
