"""Plugin ``tdpf_access``: shared and paid data: access requests, grants, usage and charges.

Metadata of every public dataset stays searchable; the files of shared datasets reach only
their organization, sysadmins and holders of an active grant. The one entitlement check
(``entitlement.entitled``) is applied on every read path: dataset and resource reads
(after_dataset_show), the search index (before_dataset_index: nothing secret is indexed,
so results, ``fl``, facets and ``fq`` have nothing to leak), activity records, resource
views and downloads, and at the gate in front of every route (``gate``). The API is
rate-limited per token and per client address (``ratelimit``).
"""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from flask import current_app
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

from ckan.common import CKANConfig

from ckanext.tdpf.lib.i18n import TranslationMixin

from . import entitlement, gate, ratelimit, views
from .logic import action, activity, auth, chained


def _answer_as(status: type[HTTPException]) -> Any:
    def handler(error: Exception) -> Any:
        return current_app.handle_http_exception(status())
    return handler


@tk.blanket.config_declarations
@tk.blanket.helpers
@tk.blanket.cli
class AccessPlugin(TranslationMixin, p.SingletonPlugin):
    p.implements(p.ITranslation)
    p.implements(p.IConfigurer)
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.IBlueprint)
    p.implements(p.IFiles, inherit=True)

    # IActions, IAuthFunctions: ours, the core ones we narrow, and the activity plugin's
    # when it is enabled (tdpf_access needs neither it nor the other TDPF plugins).

    def get_actions(self) -> dict[str, Any]:
        found = {name: getattr(action, name) for name in action.__all__}
        found.update(chained.ACTIONS)
        if p.plugin_loaded("datastore"):
            found.update(chained.DATASTORE_ACTIONS)
        if p.plugin_loaded("activity"):
            found.update(activity.actions())
        return found

    def get_auth_functions(self) -> dict[str, Any]:
        found = {name: getattr(auth, name) for name in auth.__all__}
        found.update(chained.AUTH)
        if p.plugin_loaded("datastore"):
            found.update(chained.DATASTORE_AUTH)
        return found

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "tdpf_access")

    # IPackageController

    def after_dataset_show(self, context: Any, pkg_dict: dict) -> None:
        entitlement.filter_dataset_for(context, pkg_dict)

    def before_dataset_index(self, pkg_dict: dict) -> dict:
        return entitlement.redact_index(pkg_dict)

    # IFiles: a stored file of a shared dataset is read like the dataset's other files

    def files_file_allows(self, context: Any, file: Any, operation: str) -> bool | None:
        return entitlement.file_allows(context, file, operation)

    def get_blueprint(self) -> Any:
        return views.tdpf_access

    # IMiddleware

    def make_middleware(self, app: Any, config: CKANConfig) -> Any:
        if hasattr(app, "before_request"):  # the Flask app
            app.before_request(ratelimit.check)
            app.before_request(gate.check_file_access)
            app.after_request(ratelimit.headers)
            # A view that lets an action's refusal escape answers with its status, not 500
            # (CKAN's activity pages do, for an unknown or missing activity id).
            app.register_error_handler(tk.ObjectNotFound, _answer_as(NotFound))
            app.register_error_handler(tk.NotAuthorized, _answer_as(Forbidden))
        return app
