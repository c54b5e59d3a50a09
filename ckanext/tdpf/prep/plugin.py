"""Plugin ``tdpf_prep``: データ整備. A resource's messy file (CSV, Excel, ODS, text PDF) made
into tidy CSV tables, shown to the dataset's editors with the changes and the data rate
before and after, and published as a new file of the same dataset.

The conversion engine (``engine/``) is plain code without CKAN; the data rate comes from the
shared scorer in ``ckanext.tdpf.lib.rating``.
"""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from ckanext.tdpf.lib.i18n import TranslationMixin


@tk.blanket.config_declarations
@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.cli
class PrepPlugin(TranslationMixin, p.SingletonPlugin):
    p.implements(p.ITranslation)
    p.implements(p.IConfigurer)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
