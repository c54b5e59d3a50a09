"""Validation schemas of the tdpf_prep actions, from CKAN's validators; errors name their
field and read in Japanese and English."""
from __future__ import annotations

from typing import Any

from ckan.logic.schema import validator_args
from ckan.types import Schema

from ckanext.tdpf.lib import validation


def _text(limit: int) -> Any:
    def validator(value: Any) -> Any:
        return validation.check_text(value, limit)
    return validator


@validator_args
def preview(ignore_missing: Any, unicode_safe: Any, strip_value: Any) -> Schema:
    return {
        "resource_id": [validation.required, _text(100), unicode_safe, strip_value],
        "sheet": [ignore_missing, _text(200), unicode_safe],
    }


@validator_args
def publish(ignore_missing: Any, unicode_safe: Any, strip_value: Any) -> Schema:
    return {
        "resource_id": [validation.required, _text(100), unicode_safe, strip_value],
        "table": [ignore_missing, _text(300), unicode_safe],
        "name": [ignore_missing, _text(500), unicode_safe, strip_value],
    }
