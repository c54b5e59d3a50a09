"""Validation schemas of the access actions, from CKAN's own validators; every error names
its field and reads in Japanese and English.

Times: an ISO 8601 value without an offset is UTC, as everywhere in CKAN's API.
"""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args
from ckan.types import Schema

from ckanext.tdpf.lib import validation
from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import N_, bilingual

worded = validation.worded
text = validation.text
timestamp = validation.timestamp
MISSING = N_("Missing value")
MAX_QUOTA = 10**9


def blank(key: Any, data: Any, errors: Any, context: Any) -> None:
    """Optional: a missing, null or empty-text value is left out (unlike CKAN's
    ``ignore_empty``, which also drops 0 and false)."""
    if data.get(key) is tk.missing or data.get(key) is None or data.get(key) == "":
        data.pop(key, None)
        raise tk.StopOnError


def _required(not_empty: Any) -> Any:
    return worded(not_empty, MISSING)


def _choice(one_of: Any, values: Any) -> Any:
    return worded(one_of(list(values)), N_("Must be one of: {allowed}."),
                  allowed=", ".join(values))


FLAGS = {"true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0"}


def _flag(boolean_validator: Any) -> Any:
    """true or false, read by CKAN's validator; anything else is refused (CKAN would read
    it as false, and a filter would quietly mean the opposite)."""
    def validator(value: Any, context: Any) -> Any:
        if not isinstance(value, bool) and str(value).strip().lower() not in FLAGS:
            raise tk.Invalid(bilingual(N_("Must be true or false.")))
        return boolean_validator(value, context)
    return validator


def pledge(value: Any) -> Any:
    """A pledge counts only when explicitly given: true, "true", "on" or "1"."""
    if value is True or value in ("true", "True", "on", "1"):
        return True
    raise tk.Invalid(bilingual(N_("This pledge is required to request access.")))


def in_the_future(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value <= datetime.datetime.now(
            datetime.timezone.utc):
        raise tk.Invalid(bilingual(N_("Must be in the future.")))
    return value


def _quota(int_validator: Any, is_positive_integer: Any) -> list[Any]:
    message = N_("Must be a whole number from 1 to {limit}.")

    def at_most(value: Any) -> Any:
        if isinstance(value, int) and value > MAX_QUOTA:
            raise tk.Invalid(bilingual(message, limit=MAX_QUOTA))
        return value
    return [worded(int_validator, message, limit=MAX_QUOTA),
            worded(is_positive_integer, message, limit=MAX_QUOTA), at_most]


@validator_args
def request_create(not_empty, ignore_missing, one_of) -> Schema:
    return {
        "package_id": [_required(not_empty), text(100)],
        "purpose": [_required(not_empty), _choice(one_of, vocab.PURPOSES)],
        "purpose_text": [ignore_missing, text(2000)],
        "user_type": [_required(not_empty), _choice(one_of, vocab.USER_TYPES)],
        "pledge_no_other_purpose": [pledge],
        "pledge_no_personal_linking": [pledge],
    }


@validator_args
def request_decide(not_empty, ignore_missing, one_of, int_validator,
                   is_positive_integer) -> Schema:
    return {
        "id": [_required(not_empty), text(100)],
        "decision": [_required(not_empty), _choice(one_of, ("approve", "reject"))],
        "expires": [blank, timestamp, in_the_future],
        "reason": [ignore_missing, text(2000)],
        "daily_quota": [blank, *_quota(int_validator, is_positive_integer)],
    }


@validator_args
def by_id(not_empty) -> Schema:
    return {"id": [_required(not_empty), text(100)]}


@validator_args
def grant_revoke(not_empty) -> Schema:
    return {"id": [_required(not_empty), text(100)],
            "reason": [_required(not_empty), text(2000)]}


@validator_args
def charge_update(not_empty, ignore_missing, one_of) -> Schema:
    return {"id": [_required(not_empty), text(100)],
            "state": [_required(not_empty), _choice(one_of, ("due", "paid", "waived"))],
            "reason": [ignore_missing, text(2000)]}


@validator_args
def org_apply(not_empty, ignore_missing, name_validator, email_validator, one_of) -> Schema:
    return {
        "name": [_required(not_empty), text(100), worded(name_validator, N_(
            "Must be 2–100 characters of lowercase letters, digits, - and _."))],
        "title": [_required(not_empty), text(200)],
        "description": [ignore_missing, text(5000)],
        "provider_type": [_required(not_empty), _choice(one_of, vocab.PROVIDER_TYPES)],
        "municipality_code": [ignore_missing, text(6)],
        "contact_email": [_required(not_empty), text(200),
                          worded(email_validator, N_("Must be an email address."))],
    }


@validator_args
def org_verify(not_empty, ignore_missing, default, one_of) -> Schema:
    return {"id": [_required(not_empty), text(100)],
            "decision": [default("approve"), _choice(one_of, ("approve", "reject"))],
            "reason": [ignore_missing, text(2000)]}


def _listing(ignore_missing: Any, one_of: Any, boolean_validator: Any,
             states: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"package_id": [ignore_missing, text(100)],
                      "organization": [ignore_missing, text(100)],
                      "user": [ignore_missing, text(100)],
                      "since": [blank, timestamp], "until": [blank, timestamp],
                      "active": [blank, _flag(boolean_validator)]}
    if states:
        schema["state"] = [blank, _choice(one_of, states)]
    return schema


@validator_args
def request_list(ignore_missing, one_of, boolean_validator) -> Schema:
    return _listing(ignore_missing, one_of, boolean_validator,
                    ("pending", "approved", "rejected", "withdrawn"))


@validator_args
def grant_list(ignore_missing, one_of, boolean_validator) -> Schema:
    return _listing(ignore_missing, one_of, boolean_validator)


@validator_args
def usage_query(not_empty, ignore_missing, one_of, boolean_validator) -> Schema:
    schema = _listing(ignore_missing, one_of, boolean_validator)
    schema["package_id"] = [_required(not_empty), text(100)]
    return schema


@validator_args
def application_list(one_of) -> Schema:
    return {"state": [blank, _choice(one_of, ("pending", "approved", "rejected"))]}
