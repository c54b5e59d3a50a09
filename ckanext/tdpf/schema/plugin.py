"""Plugin ``tdpf_schema``: the TDPF dataset schema and the data rate (データレート)."""
from __future__ import annotations

import ckan.plugins as p

from ckanext.tdpf.lib.i18n import TranslationMixin


class SchemaPlugin(TranslationMixin, p.SingletonPlugin):
    p.implements(p.ITranslation)
