"""Index many datasets in one Solr request.

CKAN indexes a dataset with a Solr request of its own, on a new connection each time;
for a harvest batch or a reindex that is most of the indexing time. ``index_packages``
builds each dataset's document exactly as CKAN does (``PackageSearchIndex.index_package``
with every plugin's ``before_dataset_index``), collects the documents instead of sending
them one by one, and sends them together.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterable, Iterator

import ckan.logic as logic
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.logic.schema import default_show_package_schema
from ckan.logic.validators import package_name_validator
from ckan.lib import search
from ckan.lib.plugins import lookup_package_plugin, plugin_validate
from ckan.lib.search import index as search_index
from ckan.lib.search.common import make_connection

log = logging.getLogger(__name__)


class _Collector:
    """Stands in for the Solr connection while CKAN builds documents."""

    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []
        self.deletes: list[str] = []

    def add(self, docs: list[dict[str, Any]], **_options: Any) -> None:
        self.docs.extend(docs)

    def delete(self, q: str, **_options: Any) -> None:
        self.deletes.append(q)


@contextlib.contextmanager
def _collected() -> Iterator[_Collector]:
    collector = _Collector()
    original = search_index.make_connection
    search_index.make_connection = lambda *args, **kwargs: collector  # type: ignore
    try:
        yield collector
    finally:
        search_index.make_connection = original


BATCH_PACKAGE_IDS = "tdpf_batch_package_ids"  # in the context cache: the whole batch's ids


def index_packages(package_ids: Iterable[str], user: str, commit: bool = True,
                   visible_within_ms: int | None = None) -> int:
    """Index the datasets (as stored now) with one Solr add; returns how many documents
    were sent. Raises ``SearchIndexError`` when Solr refuses them.

    Without ``commit`` the documents become searchable at the caller's own commit (a long
    job commits once at its end, not once per batch: every Solr commit opens a new
    searcher), or within ``visible_within_ms`` if given (Solr's commitWithin). Plugins
    that read something per dataset in ``after_dataset_show`` may read it for the whole
    batch at once: the batch's ids are in the context cache under ``BATCH_PACKAGE_IDS``."""
    package_ids = list(package_ids)
    index = search.index_for("Package")
    # the user object up front: package_show's access check would look it up each time
    context = {"user": user, "ignore_auth": True, "auth_user_obj": model.User.by_name(user),
               logic.DEFAULT_CACHE_KEY: {BATCH_PACKAGE_IDS: package_ids}}
    with _collected() as collector:
        for package_id in package_ids:
            default, custom = _show_dicts(dict(context), package_id)
            index.update_dict(dict(default, with_custom_schema=custom), defer_commit=True)
    if not collector.docs and not collector.deletes:
        return 0
    commit = commit and bool(tk.config.get("ckan.search.solr_commit"))
    connection = make_connection()
    try:
        for query in collector.deletes:
            connection.delete(q=query, commit=False)
        if collector.docs:
            connection.add(docs=collector.docs, commit=False,
                           commitWithin=None if commit or not visible_within_ms
                           else str(visible_within_ms))
        if commit:
            connection.commit(waitSearcher=False)
    except Exception as error:  # pysolr raises SolrError, requests' errors, socket errors
        raise search.SearchIndexError(f"Solr refused a batch of "
                                      f"{len(collector.docs)} documents: {error}") from error
    return len(collector.docs)


def _show_dicts(context: dict[str, Any], package_id: str) -> tuple[dict, dict]:
    """``logic.package_show_default_and_custom_schemas``, whose default show schema keeps
    the create schema's name check: a query per dataset whose errors it throws away (a
    stored name is valid and unique). The check is left out; the dicts are the same."""
    context = logic.fresh_context(context, ignore_auth=True, use_cache=False, validate=False)
    dictized = tk.get_action("package_show")(context, {"id": package_id})
    plugin = lookup_package_plugin(dictized["type"])
    default_schema, custom_schema = default_show_package_schema(), plugin.show_package_schema()
    same = custom_schema == default_schema
    default_schema["name"] = [validator for validator in default_schema["name"]
                              if validator is not package_name_validator]
    with_default, _errors = plugin_validate(object(), context, dictized, default_schema,
                                            "package_show")
    with_custom = with_default if same else plugin_validate(
        plugin, context, dictized, custom_schema, "package_show")[0]
    logic.apply_after_dataset_show_plugins(context, with_custom)
    return with_default, with_custom


def commit() -> None:
    """Commit the search index and wait until what was sent is searchable."""
    try:
        make_connection().commit()
    except Exception as error:
        raise search.SearchIndexError(f"Solr refused the commit: {error}") from error
