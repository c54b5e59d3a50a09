"""The rating job: rate each resource of a dataset from its content, store the result, and
re-index the dataset so the data rate is searchable. Runs on CKAN's job queue (never inside
a save) and from ``ckan tdpf-schema rescore``."""
from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
import urllib.parse
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search

from . import rating
from .fetch import FetchError, fetch
from .model import ResourceRating

log = logging.getLogger(__name__)

# 自治体標準オープンデータセット: file names ``<団体コード>_<slug>.csv`` and the common leading
# columns of the current definitions and of the earlier 推奨データセット.
STANDARD_DATASET_FILE = re.compile(
    r"(?:^|/)(\d{6})_(public_facility|cultural_property|evacuation_space|population|"
    r"preschool|opendata_list|public_wireless_lan|aed|care_service|hospital|tourism|event|"
    r"public_toilet|fire_hydrant|food_business|school_lunch|school_district|library)"
    r"\.(csv|xlsx)$", re.IGNORECASE)
STANDARD_COLUMNS = (
    ("全国地方公共団体コード", "ID", "地方公共団体名", "名称"),
    ("都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "名称"),
)
METADATA_FIELDS = ("title", "notes", "tdpf_theme", "update_frequency", "license_id",
                   "tdpf_provider_type")


def fingerprint(resource: dict) -> str:
    """What identifies a file's content without fetching it."""
    parts = [resource.get(key) or "" for key in
             ("url", "url_type", "last_modified", "size", "hash")]
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()


def metadata_complete(dataset: dict) -> bool:
    if not all(dataset.get(field) for field in METADATA_FIELDS):
        return False
    return dataset.get("tdpf_provider_type") != "municipality" or bool(
        dataset.get("municipality_code"))


def standard_dataset_conformance(resource: dict, columns: list[str]) -> bool | None:
    """None where no standard definition applies; else whether the file follows one."""
    path = urllib.parse.urlsplit(resource.get("url") or "").path
    claims = STANDARD_DATASET_FILE.search(path) is not None
    starts_like_one = bool(columns) and columns[0] in (STANDARD_COLUMNS[0][0],
                                                       STANDARD_COLUMNS[1][0])
    if not claims and not starts_like_one:
        return None
    return any(all(name in columns for name in required) for required in STANDARD_COLUMNS)


def rate_resource(resource: dict, failed_hosts: dict[str, str] | None = None
                  ) -> tuple[rating.Rating, list[str]]:
    """Fetch and rate one file. A host that failed for another resource of the same
    dataset is not tried again (one dead server must not hold the queue for each file)."""
    host = urllib.parse.urlsplit(resource.get("url") or "").hostname
    failed_hosts = {} if failed_hosts is None else failed_hosts
    if resource.get("url_type") != "upload" and host in failed_hosts:
        return rating.failed(failed_hosts[host]), []
    try:
        content = fetch(resource)
    except FetchError as error:
        if host and error.code in ("unreachable", "timeout") and \
                resource.get("url_type") != "upload":
            failed_hosts[host] = error.code
        return rating.failed(error.code), []
    result = rating.rate(content)
    return result, result.columns


def rate_dataset(package_id: str, force: bool = False) -> dict[str, Any]:
    """Rate what changed in a dataset; returns a summary for the CLI and the tests."""
    context = {"ignore_auth": True, "user": _site_user(), "use_cache": False}
    try:
        dataset = tk.get_action("package_show")(context, {"id": package_id})
    except tk.ObjectNotFound:
        return {"rated": 0, "skipped": 0, "removed": 0}
    existing = ResourceRating.for_package(dataset["id"])
    now = datetime.datetime.now(datetime.timezone.utc)
    complete = metadata_complete(dataset)
    rated = skipped = 0
    failed_hosts: dict[str, str] = {}
    for resource in dataset.get("resources", []):
        row = existing.pop(resource["id"], None)
        mark = fingerprint(resource)
        if row is None or force or row.fingerprint != mark:
            result, columns = rate_resource(resource, failed_hosts)
            row = row or ResourceRating(resource_id=resource["id"], package_id=dataset["id"])
            row.content_stage, row.l1, row.l2, row.l3 = result.stage, result.l1, result.l2, \
                result.l3
            row.findings, row.columns = result.findings, columns
            row.detected_format, row.encoding, row.error = result.detected_format, \
                result.encoding, result.error
            row.size, row.sha256, row.fingerprint, row.checked_at = result.size, \
                result.sha256, mark, now
            model.Session.add(row)
            rated += 1
        else:
            skipped += 1
        row.stage = rating.stage_with_metadata(
            row.content_stage, complete, standard_dataset_conformance(resource, row.columns or []))
    for gone in existing.values():
        model.Session.delete(gone)
    model.Session.commit()
    search.rebuild(dataset["id"])
    return {"rated": rated, "skipped": skipped, "removed": len(existing)}


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def dataset_summary(rows: list[ResourceRating]) -> dict[str, Any]:
    """Dataset level: the best stage of its resources and the mean level scores."""
    stages = [row.stage for row in rows if row.stage is not None]

    def mean(values: list[int | None]) -> int | None:
        present = [value for value in values if value is not None]
        return round(sum(present) / len(present)) if present else None

    return {
        "tdpf_data_rate": max(stages) if stages else None,
        "tdpf_data_rate_l1": mean([row.l1 for row in rows]),
        "tdpf_data_rate_l2": mean([row.l2 for row in rows]),
        "tdpf_data_rate_l3": mean([row.l3 for row in rows]),
    }
