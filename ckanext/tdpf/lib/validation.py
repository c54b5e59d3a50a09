"""Validators every TDPF plugin uses, with bilingual messages (ja / en)."""
from __future__ import annotations

import datetime
import json
from typing import Any

import ckan.plugins.toolkit as tk

from .i18n import N_, bilingual


def is_empty(value: Any) -> bool:
    return value is tk.missing or value is None or (isinstance(value, str) and not value.strip())


def required(key, data, errors, context) -> None:
    """navl validator: a value must be given (errors are recorded on the field)."""
    if is_empty(data.get(key)):
        errors[key].append(bilingual(N_("Missing value")))
        raise tk.StopOnError


def check_text(value: Any, limit: int) -> Any:
    """Text only (not lists, numbers or objects), within ``limit`` characters."""
    if value is tk.missing or value is None:
        return value
    if not isinstance(value, str):
        raise tk.Invalid(bilingual(N_("Must be text, not {kind}."), kind=type(value).__name__))
    if len(value) > limit:
        raise tk.Invalid(bilingual(N_("Must be at most {limit} characters (got {length})."),
                                   limit=limit, length=len(value)))
    return value


def as_list(value: Any) -> list:
    """A list field as scheming stores it (a JSON list in a string) or as given."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return value if isinstance(value, list) else []


def worded(validator: Any, message: str, **params: Any) -> Any:
    """CKAN's ``validator`` with its refusal worded in Japanese and English (``message``):
    CKAN's messages come in the request's language only."""
    nargs = validator.__code__.co_argcount
    if nargs == 4:
        def checked(key, data, errors, context):
            before = len(errors[key])
            try:
                return validator(key, data, errors, context)
            finally:
                if len(errors[key]) > before:
                    errors[key][before:] = [bilingual(message, **params)]
        return checked

    def call(*args: Any) -> Any:
        try:
            return validator(*args)
        except tk.Invalid:
            raise tk.Invalid(bilingual(message, **params)) from None
    if nargs == 1:
        return lambda value: call(value)
    return lambda value, context: call(value, context)


def text(limit: int) -> Any:
    """Text of at most ``limit`` characters, stripped; anything else stops the field's
    validation (the validators after it expect text)."""
    def validator(key, data, errors, context) -> None:
        try:
            value = check_text(data.get(key), limit)
        except tk.Invalid as error:
            errors[key].append(error.error)
            raise tk.StopOnError from None
        if isinstance(value, str):
            data[key] = value.strip()
    return validator


TIMESTAMP_HELP = N_("Must be a date and time in ISO 8601, e.g. 2027-03-31T14:59:59Z or "
                    "2027-03-31T23:59:59+09:00 (without an offset it is read as UTC).")


def timestamp(value: Any) -> Any:
    """An ISO 8601 date and time, as an aware datetime. Without an offset it is UTC, as
    everywhere in CKAN's API; pages show it in Japan time."""
    if is_empty(value):
        return None
    if not isinstance(value, str):
        raise tk.Invalid(bilingual(TIMESTAMP_HELP))
    try:
        parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise tk.Invalid(bilingual(TIMESTAMP_HELP)) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


ID_KEYS = ("id", "name", "package_id", "resource_id", "object_type", "diff_type", "type")
COUNT_KEYS = ("limit", "offset", "rows", "start", "page")


def check_shapes(data_dict: dict[str, Any]) -> None:
    """Refuse, naming the field, an id that is not text or a count that is not a whole
    number: CKAN's own actions answer those with a 500 (they pass them to the database or
    to ``int()``). Called before a chained core action."""
    errors: dict[str, list[str]] = {}
    for key in ID_KEYS:
        value = data_dict.get(key)
        if value is not None and not isinstance(value, str):
            errors[key] = [bilingual(N_("Must be text, not {kind}."),
                                     kind=type(value).__name__)]
    for key in COUNT_KEYS:
        value = data_dict.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not (isinstance(value, int) or (
                isinstance(value, str) and value.strip().lstrip("-").isdigit())):
            errors[key] = [bilingual(N_("Must be a whole number."))]
    if errors:
        raise tk.ValidationError(errors)
