"""Index a batch of datasets through CKAN's search API, with one search commit.

A bulk job (a harvest batch, a rating batch, a reindex) saves its datasets with their
actions' ``defer_commit``, which leaves them out of the search index; here each is indexed
as CKAN indexes it (``ckan.logic.index_update_package``: ``package_show`` with both show
schemas, every plugin's ``after_dataset_show`` and ``before_dataset_index``), without a
Solr commit per dataset, and the index is committed once. Plugins that read something per
dataset in ``after_dataset_show`` may read it for the whole batch at once: the batch's ids
are in the context cache under ``BATCH_PACKAGE_IDS``.
"""
from __future__ import annotations

from typing import Iterable

import ckan.logic as logic
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search
from ckan.lib.search.common import make_connection

BATCH_PACKAGE_IDS = "tdpf_batch_package_ids"  # in the context cache: the whole batch's ids


def index_packages(package_ids: Iterable[str], user: str, commit: bool = True,
                   visible_within_ms: int | None = None) -> int:
    """Index the datasets (as stored now); returns how many were indexed. Raises
    ``SearchIndexError`` when Solr refuses one.

    Without ``commit`` the documents become searchable at the caller's own commit
    (``commit()``: a long job commits once at its end, not once per batch, since every
    Solr commit opens a new searcher). A caller that cannot commit at its end gives
    ``visible_within_ms``: the batch is then committed (CKAN's search API has no
    commit-within), which makes it searchable at once."""
    package_ids = list(package_ids)
    # the user object up front: package_show's access check would look it up each time
    context = {"user": user, "ignore_auth": True, "auth_user_obj": model.User.by_name(user),
               logic.DEFAULT_CACHE_KEY: {BATCH_PACKAGE_IDS: package_ids}}
    for package_id in package_ids:
        logic.index_update_package(dict(context), package_id, defer_commit=True)
    if (package_ids and (commit or visible_within_ms is not None)
            and tk.config.get("ckan.search.solr_commit")):
        _solr_commit()
    return len(package_ids)


def commit() -> None:
    """Commit the search index and wait until what was sent is searchable."""
    _solr_commit()


def _solr_commit() -> None:
    try:
        make_connection().commit()
    except Exception as error:  # pysolr raises SolrError, requests' errors, socket errors
        raise search.SearchIndexError(f"Solr refused the commit: {error}") from error

