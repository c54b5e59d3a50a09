"""Plugin ``tdpf_schema``: the TDPF dataset schema and the data rate (データレート).

Scheming does the form and validation work from ``schemas/*.yaml``; this plugin adds the
validators, the derived and computed fields, the rating job, search facets and sorting.
"""
from __future__ import annotations

import functools
import json
import logging
import re
from typing import Any

from sqlalchemy import event

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig
from ckan.logic import DEFAULT_CACHE_KEY

from ckanext.tdpf.lib import indexing, municipalities, provenance
from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import TranslationMixin

from . import helpers, jobs
from .model import ResourceRating

log = logging.getLogger(__name__)

# Multi-valued fields are indexed as CKAN's multi-valued ``vocab_*`` Solr fields; callers
# keep using the field name (facet.field, fq), translated on the way in and out.
MULTI_VALUED = ("tdpf_theme",)
FACETS = ("tdpf_theme", "tdpf_license_tier", "tdpf_data_rate", "tdpf_provider_type",
          "tdpf_distribution", "municipality_code", "update_frequency")


PENDING_RATINGS = "tdpf_pending_ratings"


def _enqueue_rating_job(package_id: str, queue: str, title: str) -> None:
    """Staff's saves get a job each (rated at once); a harvest's datasets wait in the
    pending set and are rated a batch per job (``jobs.rate_pending``)."""
    if queue == "default":
        tk.enqueue_job(jobs.rate_dataset, [package_id], queue=queue, title=title)
        jobs.mark_in_progress(package_id)
    else:
        jobs.queue_for_rating([package_id], queue)


@event.listens_for(model.Session, "after_commit")
def _enqueue_pending_ratings(session: Any) -> None:
    """Ratings of datasets saved with ``defer_commit`` are enqueued once they are committed
    (a job for a dataset that was rolled back instead finds nothing and does nothing)."""
    bulk: dict[str, list[str]] = {}
    for package_id, queue, title in session.info.pop(PENDING_RATINGS, ()):
        if queue == "default":
            _enqueue_rating_job(package_id, queue, title)
        else:
            bulk.setdefault(queue, []).append(package_id)
    for queue, package_ids in bulk.items():
        jobs.queue_for_rating(package_ids, queue)


@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.config_declarations
@tk.blanket.cli
@tk.blanket.blueprints
@tk.blanket.actions
@tk.blanket.auth_functions
class SchemaPlugin(TranslationMixin, p.SingletonPlugin):
    p.implements(p.ITranslation)
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IFacets, inherit=True)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "tdpf_schema")
        # The scheming options default to the TDPF schemas in config_declaration.yaml.
        if not config.get("licenses_group_url"):
            config["licenses_group_url"] = vocab.LICENSES_FILE.as_uri()

    # IPackageController

    def after_dataset_create(self, context: Any, pkg_dict: dict) -> None:
        self._enqueue_rating(context, pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict) -> None:
        self._enqueue_rating(context, pkg_dict)

    def _enqueue_rating(self, context: Any, pkg_dict: dict) -> None:
        """Ratings of what staff just saved go first; a harvest's thousands wait in their
        own queue, which workers serve after the default one."""
        if not tk.config["ckanext.tdpf.schema.rating.enabled"] or not pkg_dict.get("id"):
            return
        queue = (tk.config["ckanext.tdpf.schema.rating.bulk_queue"]
                 if context.get(provenance.CONTEXT_KEY) else "default")
        job = (pkg_dict["id"], queue, f"tdpf data rate {pkg_dict.get('name', pkg_dict['id'])}")
        if context.get("defer_commit"):  # a batch commits later: a job now would find nothing
            model.Session().info.setdefault(PENDING_RATINGS, []).append(job)
        else:
            _enqueue_rating_job(*job)

    def after_dataset_show(self, context: Any, pkg_dict: dict) -> None:
        """Attach the stored ratings: computed values, never part of what callers save."""
        if not pkg_dict.get("id"):
            return
        ratings = _ratings(context, pkg_dict["id"])
        rows = []
        for resource in pkg_dict.get("resources", []):
            row = ratings.get(resource.get("id"))
            if row is not None:
                resource.update(row.as_resource_fields())
                rows.append(row)
            else:
                resource.update({"tdpf_mr_stage": None, "tdpf_mr_findings": []})
        pkg_dict.update(jobs.dataset_summary(rows))

    def before_dataset_index(self, pkg_dict: dict) -> dict:
        validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
        for field in MULTI_VALUED:
            values = validated.get(field) or []
            pkg_dict.pop(field, None)
            pkg_dict.pop(f"extras_{field}", None)
            pkg_dict[f"vocab_{field}"] = values if isinstance(values, list) else [values]
        rate = validated.get("tdpf_data_rate")
        pkg_dict.pop("tdpf_data_rate", None)
        if rate is not None:
            pkg_dict["tdpf_data_rate"] = str(rate)
        return pkg_dict

    def before_dataset_search(self, search_params: dict) -> dict:
        for key in ("fq", "q"):
            if isinstance(search_params.get(key), str):
                for field in MULTI_VALUED:
                    search_params[key] = re.sub(rf"(?<![\w.]){field}:", f"vocab_{field}:",
                                                search_params[key])
        fields = search_params.get("facet.field")
        if isinstance(fields, list):
            search_params["facet.field"] = [
                f"vocab_{f}" if f in MULTI_VALUED else f for f in fields]
        return search_params

    def after_dataset_search(self, search_results: dict, search_params: dict) -> dict:
        for field in MULTI_VALUED:
            for key in ("facets", "search_facets"):
                facets = search_results.get(key) or {}
                if f"vocab_{field}" in facets:
                    item = facets.pop(f"vocab_{field}")
                    if isinstance(item, dict) and "title" in item:
                        item["title"] = field
                    facets[field] = item
        language = helpers.language()
        for field, facet in (search_results.get("search_facets") or {}).items():
            if field in FACETS:
                for item in facet.get("items", []):
                    item["display_name"] = facet_value_label(field, item["name"], language)
        return search_results

    # IFacets

    def dataset_facets(self, facets_dict: dict, package_type: str) -> dict:
        facets_dict.update(_facet_titles())
        return facets_dict

    def organization_facets(self, facets_dict: dict, organization_type: str,
                            package_type: str | None) -> dict:
        facets_dict.update(_facet_titles())
        return facets_dict


def _ratings(context: Any, package_id: str) -> dict[str, ResourceRating]:
    """The dataset's stored ratings; read for the whole batch at once when the dataset is
    shown as part of a batch (``lib.indexing``)."""
    cache = context.get(DEFAULT_CACHE_KEY) if isinstance(context, dict) else None
    batch = (cache or {}).get(indexing.BATCH_PACKAGE_IDS) or ()
    if package_id not in batch:
        return ResourceRating.for_package(package_id)
    if "tdpf_schema_ratings" not in cache:
        cache["tdpf_schema_ratings"] = ResourceRating.for_packages(batch)
    return cache["tdpf_schema_ratings"].get(package_id, {})


FACET_VOCABULARIES = {"tdpf_theme": "themes", "tdpf_license_tier": "license_tiers",
                      "tdpf_provider_type": "provider_types",
                      "tdpf_distribution": "distributions", "update_frequency": "frequencies"}


@functools.lru_cache(maxsize=8192)  # a few vocabularies and Japan's municipality codes
def facet_value_label(field: str, value: str, language: str) -> str:
    """A facet value as people read it; every search labels a few hundred of them."""
    if field in FACET_VOCABULARIES:
        return helpers.tdpf_schema_label(FACET_VOCABULARIES[field], value, language)
    if field == "tdpf_data_rate":
        return f"{value}: {helpers.tdpf_schema_stage_label(value, language)}"
    if field == "municipality_code":
        found = municipalities.lookup(value)
        return f"{found.name} ({value})" if found else value
    return value


def _facet_titles() -> dict[str, str]:
    return {
        "tdpf_theme": tk._("Theme"),
        "tdpf_data_rate": tk._("Data rate"),
        "tdpf_license_tier": tk._("Licence tier"),
        "tdpf_provider_type": tk._("Provider type"),
        "tdpf_distribution": tk._("Distribution"),
        "municipality_code": tk._("Municipality"),
        "update_frequency": tk._("Update frequency"),
    }
