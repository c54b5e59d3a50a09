"""Validators every TDPF plugin uses, with bilingual messages (ja / en)."""
from __future__ import annotations

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
