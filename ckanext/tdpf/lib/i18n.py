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
import re
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


class Message:
    """A message to word later in either language: a msgid and its parameters, which may
    be messages themselves (an error inside the error that reports it)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid, self.params = msgid, params

    def japanese(self) -> str:
        return japanese(self.msgid, **self.params)

    def english(self) -> str:
        return english(self.msgid, **self.params)

    def __str__(self) -> str:
        return self.english()


def japanese(message: str, **params: Any) -> str:
    text = _japanese_catalog().gettext(message)
    params = {key: value.japanese() if isinstance(value, Message) else value
              for key, value in params.items()}
    return text.format(**params) if params else text


def english(message: str, **params: Any) -> str:
    params = {key: value.english() if isinstance(value, Message) else value
              for key, value in params.items()}
    return message.format(**params) if params else message


def bilingual(message: str, **params: Any) -> str:
    """``"日本語 / English"``: one string for APIs that allow only one."""
    ja, en = japanese(message, **params), english(message, **params)
    return en if ja == en else f"{ja} / {en}"


_KANA = re.compile(r"[\u3040-\u30ff]")
_LEAD = re.compile(r"^(?:[A-Za-z0-9_.\[\]-]+: )?")  # a path the message is about: "resources[3]: "
_TAIL = " — "  # a value quoted after the pair: "… / … — \"value\""
_PLACEHOLDER = re.compile(r"\{|%\(")


@functools.lru_cache(maxsize=1)
def _english_openings() -> tuple[str, ...]:
    """How the catalog's English messages begin, up to their first placeholder."""
    catalog = getattr(_japanese_catalog(), "_catalog", {})
    openings = set()
    for msgid in catalog:
        text = msgid[0] if isinstance(msgid, tuple) else msgid
        opening = _PLACEHOLDER.split(text, 1)[0] if text else ""
        if len(opening) >= 4:
            openings.add(opening)
    return tuple(openings)


def in_language(text: str, language: str) -> str:
    """One language of a stored ``bilingual`` text, for a page in that language.

    Texts stored once for every reader (a harvest job's errors and warnings) carry
    ``"日本語 / English"``, perhaps after the path they are about and before the value they
    quote: ``resources[3]: 同じ URL … / resource dropped: … — "https://…"``. The pair splits at
    the first ``" / "`` with kana before it and one of the catalog's English messages after
    it (so a ``" / "`` inside a value is not taken), else at the first with kana before it and
    an English word after it; a text not of this form is returned as it is.
    """
    candidates = []
    start = 0
    while (at := text.find(" / ", start)) != -1:
        start = at + 3
        before, after = text[:at], text[at + 3:]
        if _KANA.search(before) and after[:1].isascii() and after[:1].isalpha():
            candidates.append((before, after))
    if not candidates:
        return text
    openings = _english_openings()
    before, after = next(((b, a) for b, a in candidates if a.startswith(openings)), candidates[0])
    if language.startswith("ja"):
        value = after.rfind(_TAIL)
        return before + (after[value:] if value != -1 and _TAIL not in before else "")
    return _LEAD.match(before)[0] + after
