"""Plugin ``tdpf_harvest``: harvesting of municipal, metropolitan and national catalogs into
the TDPF schema. The harvesters themselves are the plugins ``tdpf_ckan_harvester``,
``tdpf_dcat_harvester`` and ``tdpf_csv_list_harvester`` (one source type each, as
ckanext-harvest requires); this plugin adds the CLI, the job report and the Japanese UI."""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from ckanext.tdpf.lib.i18n import TranslationMixin


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.cli
@tk.blanket.config_declarations
@tk.blanket.helpers
class HarvestPlugin(TranslationMixin, p.SingletonPlugin):
    p.implements(p.ITranslation)
    p.implements(p.IConfigurer)

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
