"""Map records of remote CKAN catalogs onto the TDPF schema (SPEC §3).

Pure functions from a remote ``package_show`` record to a local ``package_create`` dict, so
the mapping is tested without a catalog and reused by the demo loader.
"""
from __future__ import annotations

import hashlib
import re
import urllib.parse
from typing import Any

import msgspec

from ckanext.tdpf.lib import municipalities
from ckanext.tdpf.lib import vocabularies as vocab

TOKYO_ORG = re.compile(r"^t(\d{6})$")
FREQUENCY_KEYS = ("更新頻度", "update_frequency", "frequency", "accrualPeriodicity")
RESOURCE_FIELDS = ("name", "description", "url", "format", "size", "last_modified",
                   "created", "mimetype")


def organization_from_remote(org: dict[str, Any], defaults: dict[str, Any] | None = None
                             ) -> dict[str, Any]:
    """A local organization for a remote one. The Tokyo catalog names organizations
    ``t`` + municipality code (``t131032`` 港区); ``t0000xx`` are bureaus of the
    metropolitan government (130001); other ``t00xxxx`` are affiliated bodies."""
    defaults = defaults or {}
    name = org.get("name") or ""
    local = {
        "name": name,
        "title": org.get("title") or name,
        "description": org.get("description") or "",
        "tdpf_provider_type": defaults.get("provider_type"),
        "municipality_code": defaults.get("municipality_code"),
    }
    match = TOKYO_ORG.match(name)
    if match:
        code = match.group(1)
        if code.startswith("0000"):
            local["tdpf_provider_type"] = "metropolitan_government"
            local["municipality_code"] = municipalities.TOKYO
        elif municipalities.lookup(code) is not None:
            local["tdpf_provider_type"] = ("metropolitan_government" if code ==
                                           municipalities.TOKYO else "municipality")
            local["municipality_code"] = code
        elif code.startswith("00"):
            # e.g. t001001 東京ビッグサイト: bodies affiliated with the metropolitan government
            local["tdpf_provider_type"] = defaults.get("provider_type") or "public_agency"
    return {key: value for key, value in local.items() if value not in (None, "")}


def _extras(record: dict[str, Any]) -> dict[str, str]:
    return {extra.get("key"): extra.get("value") for extra in record.get("extras") or []
            if isinstance(extra, dict)}


def themes_from_remote(record: dict[str, Any], theme_map: dict[str, str] | None = None,
                       default: list[str] | None = None) -> list[str]:
    """Tokyo groups c001–c014 are the 13 priority fields and その他; other sources map
    groups and tags through the source's theme map."""
    theme_map = theme_map or {}
    found: list[str] = []
    names = [g.get("name") for g in record.get("groups") or [] if isinstance(g, dict)]
    names += [g.get("title") for g in record.get("groups") or [] if isinstance(g, dict)]
    names += [t.get("name") for t in record.get("tags") or [] if isinstance(t, dict)]
    for name in names:
        theme = theme_map.get(name) or vocab.TOKYO_GROUP_THEMES.get(name or "")
        if theme in vocab.THEMES and theme not in found:
            found.append(theme)
    return found or list(default or ["other"])


def dataset_from_remote(record: dict[str, Any], *, name: str, owner_org: str,
                        config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The local dataset for a remote record; ``name`` and ``owner_org`` come from the
    caller, who owns identity and organizations."""
    config = config or {}
    extras = _extras(record)
    frequency = next((vocab.normalize_frequency(extras[key]) for key in FREQUENCY_KEYS
                      if extras.get(key)), None)
    license_map = config.get("license_map") or {}
    license_id = (license_map.get(record.get("license_id") or "")
                  or vocab.normalize_license(record.get("license_id"))
                  or vocab.normalize_license(record.get("license_title"))
                  or config.get("default_license") or "own-terms")
    dataset = {
        "name": name,
        "title": (record.get("title") or record.get("name") or name)[:500],
        "notes": record.get("notes") or "",
        "owner_org": owner_org,
        "url": record.get("url") or "",
        "maintainer": (record.get("maintainer") or "")[:200],
        "license_id": license_id,
        "tdpf_theme": themes_from_remote(record, config.get("theme_map"),
                                         config.get("default_themes")),
        "tags": [{"name": tag["name"][:100]} for tag in record.get("tags") or []
                 if isinstance(tag, dict) and _valid_tag(tag.get("name"))],
        "resources": [resource_from_remote(resource) for resource in
                      record.get("resources") or [] if isinstance(resource, dict)],
    }
    if frequency:
        dataset["update_frequency"] = frequency
    if not (dataset["url"].startswith("http://") or dataset["url"].startswith("https://")):
        dataset["url"] = ""
    return dataset


def _valid_tag(name: Any) -> bool:
    return isinstance(name, str) and 2 <= len(name) <= 100 and not re.search(r"[,\"]", name)


def resource_from_remote(resource: dict[str, Any]) -> dict[str, Any]:
    local = {key: resource.get(key) for key in RESOURCE_FIELDS
             if resource.get(key) not in (None, "")}
    local["format"] = vocab.normalize_format(resource.get("format"), resource.get("url"))
    if "size" in local and not str(local["size"]).isdigit():
        del local["size"]
    return local


def stable_name(source_url: str, remote_id: str) -> str:
    """Unique across sources, stable across runs: the source host and the remote id."""
    host = urllib.parse.urlsplit(source_url).hostname or "source"
    slug = re.sub(r"[^a-z0-9_-]+", "-", remote_id.lower()).strip("-")[:60]
    digest = hashlib.sha1(f"{host}|{remote_id}".encode()).hexdigest()[:8]
    return f"{slug}-{digest}"[:100]


def content_hash(dataset: Any) -> str:
    """A digest of the mapped content, independent of key order."""
    return hashlib.sha256(msgspec.json.encode(dataset, order="sorted",
                                              enc_hook=str)).hexdigest()
