"""Character encodings of Japanese open data: UTF-8 (with or without BOM), CP932/Shift_JIS
and UTF-16 (with or without BOM), told apart from the bytes themselves."""
from __future__ import annotations

import codecs

import charset_normalizer

from ckanext.tdpf.lib.i18n import N_


class UnknownEncoding(ValueError):
    """The bytes are in no encoding this module tells apart; the message is a msgid."""


def utf16_byte_order(sample: bytes) -> str:
    """ASCII characters (delimiters, digits) have a zero high byte: after them in
    little-endian order, before them in big-endian."""
    odd = sample[1::2].count(0)
    even = sample[0::2].count(0)
    return "utf-16-le" if odd >= even else "utf-16-be"


def looks_like_utf16(sample: bytes) -> bool:
    return len(sample) > 8 and sample.count(b"\x00") > len(sample) // 4


def detect(content: bytes) -> str:
    """The encoding to decode ``content`` with (``utf-8-sig`` and ``utf-16`` strip BOMs)."""
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = content[:8192]
    if looks_like_utf16(sample):
        return utf16_byte_order(sample)
    for encoding in ("utf-8", "cp932"):
        try:
            content.decode(encoding)
            return encoding
        except UnicodeDecodeError as error:
            if error.start >= len(content) - 3:  # a sample cut inside a character
                return encoding
    guess = charset_normalizer.from_bytes(content[: 1 << 20]).best()
    if guess is None:
        raise UnknownEncoding(N_("the character encoding could not be recognized"))
    return guess.encoding


def decode(content: bytes, encoding: str | None = None) -> str:
    """Text of ``content``; a declared encoding is used when it decodes cleanly."""
    if encoding:
        try:
            return content.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return content.decode(detect(content), errors="replace").lstrip("\ufeff")
