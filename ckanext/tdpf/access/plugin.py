"""Plugin ``tdpf_access``: shared and paid data: access requests, grants, usage and charges."""
from __future__ import annotations

import ckan.plugins as p

from ckanext.tdpf.lib.i18n import TranslationMixin


class AccessPlugin(TranslationMixin, p.SingletonPlugin):
    p.implements(p.ITranslation)
