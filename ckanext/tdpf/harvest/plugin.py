"""Plugin ``tdpf_harvest``: harvesting of municipal, metropolitan and national catalogs into the TDPF schema."""
from __future__ import annotations

import ckan.plugins as p

from ckanext.tdpf.lib.i18n import TranslationMixin


class HarvestPlugin(TranslationMixin, p.SingletonPlugin):
    p.implements(p.ITranslation)
