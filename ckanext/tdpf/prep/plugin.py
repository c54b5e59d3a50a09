"""Plugin ``tdpf_prep``: データ整備. A resource's messy file (CSV, Excel, ODS, text PDF) made
into tidy CSV tables, shown to the dataset's editors with the changes and the data rate
before and after, and published as a new file of the same dataset. Files of one standard
dataset published by several municipalities are merged into one dataset in the standard's
layout (``merge.py``), merged again when a source changes.

The conversion engine (``engine/``) is plain code without CKAN; the data rate comes from the
shared scorer in ``ckanext.tdpf.lib.rating``.
"""
from __future__ import annotations

import json
from typing import Any

import flask

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from ckanext.tdpf.lib.i18n import TranslationMixin


def _members(modules: tuple[Any, ...], kind: type | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module in modules:
        names = getattr(module, "__all__", None) or [n for n in vars(module)
                                                     if not n.startswith("_")]
        for name in names:
            item = getattr(module, name)
            if kind is None or isinstance(item, kind):
                found[name] = item
    return found


def _actions() -> dict[str, Any]:
    from .logic import action, merge
    return _members((action, merge))


def _auth_functions() -> dict[str, Any]:
    from .logic import auth, merge_auth
    return _members((auth, merge_auth))


def _blueprints() -> list[flask.Blueprint]:
    from . import merge_views, views
    return list(_members((views, merge_views), flask.Blueprint).values())


def _helpers() -> dict[str, Any]:
    from . import merge_views
    return dict(merge_views.HELPERS)


@tk.blanket.config_declarations
@tk.blanket.actions(_actions)
@tk.blanket.auth_functions(_auth_functions)
@tk.blanket.blueprints(_blueprints)
@tk.blanket.helpers(_helpers)
@tk.blanket.cli
class PrepPlugin(TranslationMixin, p.SingletonPlugin):
    p.implements(p.ITranslation)
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")

    # IPackageController: a change to a merged dataset's source queues its re-merge
    # (merge.notice; queued once the change is committed)

    def after_dataset_create(self, context: Any, pkg_dict: dict) -> None:
        from . import merge
        merge.notice(pkg_dict.get("id"))

    def after_dataset_update(self, context: Any, pkg_dict: dict) -> None:
        from . import merge
        merge.notice(pkg_dict.get("id"))

    def after_dataset_delete(self, context: Any, pkg_dict: dict) -> None:
        from . import merge
        merge.notice(pkg_dict.get("id"))

    def before_dataset_index(self, pkg_dict: dict) -> dict:
        """The standards the dataset's files were rated as (tdpf_mr_standard, from the
        dataset as package_show gives it), searchable as ``vocab_tdpf_prep_standards``
        (the coverage page asks for them)."""
        text = pkg_dict.get("validated_data_dict") or ""
        if '"tdpf_mr_standard": "' not in text:  # none rated as a standard: no second
            return pkg_dict                        # parse of the dataset (bulk indexing)
        try:
            shown = json.loads(text)
        except ValueError:
            shown = {}
        standards = sorted({r["tdpf_mr_standard"] for r in shown.get("resources") or []
                            if isinstance(r, dict) and isinstance(
                                r.get("tdpf_mr_standard"), str) and r["tdpf_mr_standard"]})
        if standards:
            pkg_dict["vocab_tdpf_prep_standards"] = standards
        return pkg_dict
