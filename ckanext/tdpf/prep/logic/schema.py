"""Validation schemas of the tdpf_prep actions, from CKAN's validators; errors name their
field and read in Japanese and English."""
from __future__ import annotations

from typing import Any

from ckan.logic.schema import validator_args
from ckan.types import Schema

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import validation
from ckanext.tdpf.lib.i18n import N_, bilingual


def _text(limit: int) -> Any:
    def validator(value: Any) -> Any:
        return validation.check_text(value, limit)
    return validator


def _standard(value: Any) -> Any:
    """A standard's id (``public_toilet``); an unknown one is refused with the known ids."""
    from ckanext.tdpf.lib import standards

    if value is tk.missing or value is None or value == "":
        return value
    if not isinstance(value, str) or standards.get(value.strip()) is None:
        known = ", ".join(sorted(standards.standards()))
        raise tk.Invalid(bilingual(N_("Unknown standard; the standards known are: {ids}."),
                                   ids=known))
    return value.strip()


@validator_args
def preview(ignore_missing: Any, unicode_safe: Any, strip_value: Any) -> Schema:
    return {
        "resource_id": [validation.required, _text(100), unicode_safe, strip_value],
        "sheet": [ignore_missing, _text(200), unicode_safe],
        "standard": [ignore_missing, _text(100), _standard],
    }


@validator_args
def publish(ignore_missing: Any, unicode_safe: Any, strip_value: Any) -> Schema:
    return {
        "resource_id": [validation.required, _text(100), unicode_safe, strip_value],
        "table": [ignore_missing, _text(300), unicode_safe],
        "name": [ignore_missing, _text(500), unicode_safe, strip_value],
        "standard": [ignore_missing, _text(100), _standard],
    }
