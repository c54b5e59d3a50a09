"""One translation catalog for the whole suite, and bilingual messages.

CKAN derives a plugin's catalog from its module path and name; the suite keeps one
``ckanext-tdpf`` catalog instead, so translators work in one file and every plugin is
translated whichever subset of them is enabled.

Errors and findings carry Japanese *and* English whatever the request's locale: municipal
staff read the first, API developers and logs the second. The Japanese comes from the same
catalog, so ``make i18n`` keeps both in step.
"""
from __future__ import annotations

import functools
import gettext
import os
from typing import Any

from ckan.lib.plugins import DefaultTranslation

import ckanext.tdpf.i18n

DOMAIN = "ckanext-tdpf"
DIRECTORY = os.path.dirname(os.path.abspath(ckanext.tdpf.i18n.__file__))


class TranslationMixin(DefaultTranslation):
    """Mix into a plugin that implements ``ITranslation``."""

    def i18n_directory(self) -> str:
        return DIRECTORY

    def i18n_domain(self) -> str:
        return DOMAIN


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@functools.lru_cache(maxsize=1)
def _japanese_catalog() -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, DIRECTORY, languages=["ja"], fallback=True)


def japanese(message: str, **params: Any) -> str:
    text = _japanese_catalog().gettext(message)
    return text.format(**params) if params else text


def english(message: str, **params: Any) -> str:
    return message.format(**params) if params else message


def bilingual(message: str, **params: Any) -> str:
    """``"日本語 / English"``: one string for APIs that allow only one."""
    ja, en = japanese(message, **params), english(message, **params)
    return en if ja == en else f"{ja} / {en}"
