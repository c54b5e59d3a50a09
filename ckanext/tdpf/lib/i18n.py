"""One translation catalog for the whole suite.

CKAN derives a plugin's catalog from its module path and name; the suite keeps one
``ckanext-tdpf`` catalog instead, so translators work in one file and every plugin is
translated whichever subset of them is enabled.
"""
from __future__ import annotations

import os

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
