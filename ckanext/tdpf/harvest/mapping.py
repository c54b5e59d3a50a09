"""Map records of remote CKAN catalogs onto the TDPF schema (SPEC §3).

Pure functions from a remote ``package_show`` record to a local ``package_create`` dict, so
the mapping is tested without a catalog and reused by the demo loader.

Cleaning (``clean_dataset``): every harvester's mapped dataset goes through one cheap pass
before it is hashed, so that remote data is cleaned and a record is never lost to a value
that can be mended. Each change is a warning naming the path and the value
(``resources[72].name: removed control characters — "平成 \\u0015\\u0018 年"``):

- control characters go (tab, line feed and carriage return stay in text; URLs and tags
  lose them too); text longer than the schema's ``max_length`` is cut to it;
- a resource URL that is not an http(s) address is removed and the resource kept: its name,
  format and description still describe the data, the warning keeps the address, and the
  next run restores it once the source mends it (dropping the resource would lose the
  metadata; keeping the address would put ``javascript:`` or ``file:`` links on our
  pages). A dataset's source URL that is not one is removed the same way;
- resources with the same URL become one: the last of them is kept (a catalog that adds a
  resource for each new edition of one file names the current edition last);
- tags CKAN refuses have their refused characters replaced by spaces; a tag still shorter
  than 2 or longer than 100 characters is dropped;
- dates CKAN cannot read, and sizes that are not a number of bytes, are dropped.

What cannot be mended (text that is not text, say) is left for the schema to refuse; the
importer names the path and value of each refusal.

Identity (``stable_name``): a harvested dataset's name is the remote id's slug (60
characters at most) and 8 hex digits of a hash of the source's host and the remote id:
``<slug>-<hash8>``, lowercase ``[a-z0-9_-]``, 76 characters at most. That is the rule
harvested names have always followed, and it stays for a source at an http(s) host's root
on the default port (``http://`` and ``https://`` alike; the API paths ``/api``,
``/api/3``, ``/api/3/action`` and a trailing ``/`` count as the root), so the names
harvested so far stay as they are. Any other source (another port, a path, a query) adds
``-<hash6>``, 6 hex digits of a hash of its whole base URL (scheme, host, port, path and
query, without the API paths), so two catalogs on one host never map a remote id to one
name. A dataset keeps the name it was created with when it is updated, so a change of rule
never renames one; a new record whose name another dataset holds is refused with the
harvest source that holds it (``importer``).

Cross-source duplicates (``match_keys``): the same dataset published by two catalogs (a
ward's own CKAN and the Tokyo catalog that aggregates it) is one local dataset. Two records
are the same when their resource URLs are the same set, compared normalised (scheme http or
https alike, host and percent-escapes in one case, default port and fragment dropped), or
when their organizations have the same key (the municipality code of a municipality, else
the local organization's name) and their titles are the same normalised (NFKC: full-width
letters, digits and spaces as half-width; case and white space ignored). ``importer`` keeps
the keys of each source's record and merges a new record into another source's dataset
with the same key.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
import urllib.parse
from typing import Any

import msgspec

from ckan.lib.helpers import date_str_to_datetime

from ckanext.tdpf.lib import municipalities
from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import N_, bilingual

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
        "title": record.get("title") or record.get("name") or name,
        "notes": record.get("notes") or "",
        "owner_org": owner_org,
        "url": record.get("url") or "",
        "maintainer": record.get("maintainer") or "",
        "license_id": license_id,
        "tdpf_theme": themes_from_remote(record, config.get("theme_map"),
                                         config.get("default_themes")),
        "tags": [{"name": tag["name"]} for tag in record.get("tags") or []
                 if isinstance(tag, dict) and isinstance(tag.get("name"), str)],
        "resources": [resource_from_remote(resource) for resource in
                      record.get("resources") or [] if isinstance(resource, dict)],
    }
    if frequency:
        dataset["update_frequency"] = frequency
    return dataset


def resource_from_remote(resource: dict[str, Any]) -> dict[str, Any]:
    local = {key: resource.get(key) for key in RESOURCE_FIELDS
             if resource.get(key) not in (None, "")}
    local["format"] = vocab.normalize_format(resource.get("format"), resource.get("url"))
    if "size" in local and not str(local["size"]).isdigit():
        del local["size"]
    return local


API_SUFFIXES = ("/api/3/action", "/api/action", "/api/3", "/api")
DEFAULT_PORTS = {"http": 80, "https": 443}


def source_base(source_url: str) -> tuple[str, str | None]:
    """The source's host, and its whole base URL (scheme, host, port, path, query, with
    the CKAN API paths taken off) unless the source is an http(s) host's root on the default
    port: then None, and the host alone names it."""
    parts = urllib.parse.urlsplit(source_url.strip())
    host = parts.hostname or "source"
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    path = parts.path.rstrip("/")
    for suffix in API_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    if scheme in DEFAULT_PORTS and port is None and not path and not parts.query:
        return host, None
    netloc = f"[{host}]" if ":" in host else host
    base = f"{scheme}://{netloc}{f':{port}' if port else ''}{path}"
    return host, f"{base}?{parts.query}" if parts.query else base


def stable_name(source_url: str, remote_id: str) -> str:
    """Unique across sources, stable across runs: the rule is in the module docstring."""
    host, base = source_base(source_url)
    slug = re.sub(r"[^a-z0-9_-]+", "-", remote_id.lower()).strip("-")[:60]
    digest = hashlib.sha1(f"{host}|{remote_id}".encode()).hexdigest()[:8]
    if base is None:
        return f"{slug}-{digest}"[:100]
    return f"{slug}-{digest}-{hashlib.sha1(base.encode()).hexdigest()[:6]}"[:100]


# Cleaning (module docstring). Control characters: C0 and C1, DEL, and lone surrogates
# (which cannot be stored); text keeps tab, line feed and carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
TAG_REFUSED = re.compile(r"[^\w \-.]+")  # CKAN's tag_name_validator allows [\w \-.]
TAG_LENGTHS = (2, 100)                    # and tag_length_validator 2 to 100 characters
SOURCE_URL = re.compile(r"^https?://[^\s/$.?#].\S*$")  # the schema's tdpf_schema_url
RESOURCE_URL = re.compile(r"^https?://[^\s/?#]", re.IGNORECASE)
DATE_FIELDS = ("last_modified", "created")
MAX_SIZE = 2 ** 63 - 1
MAX_WARNINGS = 50   # per record; the rest are counted in one more warning
SHOWN = 80          # characters of a value shown in a warning or an error
DEFAULT_TEXT_LIMIT = 1000  # tdpf_schema_text without max_length
# The schema's limits, if scheming is not loaded (the demo loader, unit tests)
FALLBACK_LIMITS = ({"title": 500, "title_en": 500, "notes": 20000, "notes_en": 20000,
                    "url": 2000, "maintainer": 200, "maintainer_email": 1000},
                   {"name": 500, "description": 20000})


def shown(value: Any) -> str:
    """A value for a message: quoted, control characters escaped, cut to ``SHOWN``."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           default=str)
    cut = text[:SHOWN] + ("…" if len(text) > SHOWN else "")
    escaped = CONTROL_OR_BREAK.sub(lambda match: f"\\u{ord(match[0]):04x}", cut)
    return f'"{escaped}"' if isinstance(value, str) else escaped


def _schema_of(dataset_type: str) -> dict[str, Any] | None:
    try:
        from ckanext.scheming.helpers import scheming_get_dataset_schema
        return scheming_get_dataset_schema(dataset_type)
    except Exception:  # scheming not loaded
        return None


@functools.lru_cache(maxsize=4)
def _limits_of(dataset_type: str) -> tuple[dict[str, int], dict[str, int]]:
    schema = _schema_of(dataset_type)
    if not schema:
        return FALLBACK_LIMITS

    def limits(fields: list[dict]) -> dict[str, int]:
        found = {}
        for field in fields:
            if field.get("max_length"):
                found[field["field_name"]] = int(field["max_length"])
            elif "tdpf_schema_text" in (field.get("validators") or ""):
                found[field["field_name"]] = DEFAULT_TEXT_LIMIT
        return found

    return (limits(schema.get("dataset_fields") or []),
            limits(schema.get("resource_fields") or []))


@functools.lru_cache(maxsize=4)
def local_fields(dataset_type: str = "dataset") -> tuple[str, ...]:
    """The schema's ``tdpf_local`` fields: what the provider decides on TDPF, which a
    harvested update keeps unless its record carries the field."""
    return tuple(field["field_name"]
                 for field in (_schema_of(dataset_type) or {}).get("dataset_fields") or []
                 if field.get("tdpf_local"))


class _Cleaner:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.more = 0

    def warn(self, path: str, message: str, value: Any, **params: Any) -> None:
        if len(self.warnings) >= MAX_WARNINGS:
            self.more += 1
            return
        self.warnings.append(f"{path}: {bilingual(message, **params)} — {shown(value)}")

    def text(self, path: str, value: str, limit: int | None,
             pattern: re.Pattern = CONTROL) -> str:
        if pattern.search(value):
            self.warn(path, N_("removed control characters"), value)
            value = pattern.sub("", value)
        if limit and len(value) > limit:
            self.warn(path, N_("cut to {limit} characters (it had {length})"), value,
                      limit=limit, length=len(value))
            value = value[:limit]
        return value

    def url(self, path: str, value: str, valid: re.Pattern, limit: int | None) -> str:
        value = value.strip()
        if valid.match(value) and not CONTROL_OR_BREAK.search(value) and (
                not limit or len(value) <= limit):
            return value
        value = self.text(path, value, None, CONTROL_OR_BREAK)
        if value and (not valid.match(value) or (limit and len(value) > limit)):
            self.warn(path, N_("removed: not an http(s) address (the rest is kept)"), value)
            return ""
        return value

    def fields(self, prefix: str, item: dict[str, Any], limits: dict[str, int],
               url: re.Pattern) -> None:
        """The text fields of a dataset or resource: one search over all of them finds the
        usual item clean; then only the fields with a limit are measured."""
        if isinstance(item.get("url"), str):
            item["url"] = self.url(f"{prefix}url", item["url"], url, limits.get("url"))
        texts = [value for key, value in item.items() if key != "url"
                 and isinstance(value, str)]
        if CONTROL.search("".join(texts)):
            for key, value in item.items():
                if key != "url" and isinstance(value, str):
                    item[key] = self.text(f"{prefix}{key}", value, None)
        for key, limit in limits.items():
            value = item.get(key)
            if key != "url" and isinstance(value, str) and len(value) > limit:
                item[key] = self.text(f"{prefix}{key}", value, limit)

    def resource(self, index: int, resource: dict[str, Any], limits: dict[str, int]) -> None:
        prefix = f"resources[{index}]."
        self.fields(prefix, resource, limits, RESOURCE_URL)
        for key in DATE_FIELDS:
            value = resource.get(key)
            if isinstance(value, str) and value and not _is_date(value):
                self.warn(prefix + key, N_("dropped: not a date"), value)
                del resource[key]
        size = resource.get("size")
        if size is not None and not (str(size).isdigit() and int(str(size)) <= MAX_SIZE):
            self.warn(prefix + "size", N_("dropped: not a number of bytes"), size)
            del resource["size"]

    def tags(self, tags: list[Any]) -> list[dict[str, Any]]:
        kept: list[dict[str, Any]] = []
        names: set[str] = set()
        low, high = TAG_LENGTHS
        for index, tag in enumerate(tags):
            path = f"tags[{index}].name"
            name = tag.get("name") if isinstance(tag, dict) else None
            if not isinstance(name, str):
                kept.append(tag)  # not text: the schema refuses it, naming it
                continue
            cleaned = self.text(path, name, None, CONTROL_OR_BREAK)
            if TAG_REFUSED.search(cleaned):
                cleaned = " ".join(TAG_REFUSED.sub(" ", cleaned).split())
                self.warn(path, N_("characters CKAN refuses in tags replaced by spaces: "
                                   "{tag}"), name, tag=shown(cleaned))
            cleaned = cleaned.strip()
            if not low <= len(cleaned) <= high:
                self.warn(path, N_("tag dropped: tags have {low} to {high} characters"),
                          name, low=low, high=high)
            elif cleaned not in names:
                names.add(cleaned)
                kept.append(dict(tag, name=cleaned))
        return kept

    def duplicates(self, resources: list[Any]) -> list[int] | None:
        """Keep the last of resources with one URL; the remote positions of those kept, or
        None if none was dropped."""
        last: dict[str, int] = {}
        for index, resource in enumerate(resources):
            if isinstance(resource, dict) and isinstance(resource.get("url"), str) \
                    and resource["url"]:
                last[resource["url"]] = index
        if len(last) == sum(1 for r in resources if isinstance(r, dict) and r.get("url")):
            return None
        positions = []
        for index, resource in enumerate(resources):
            url = resource.get("url") if isinstance(resource, dict) else None
            if isinstance(url, str) and url and last[url] != index:
                self.warn(f"resources[{index}]", N_("resource dropped: the same URL as "
                                                    "resources[{kept}]"), url, kept=last[url])
                continue
            positions.append(index)
        return positions


def _is_date(value: str) -> bool:
    """What CKAN's ``isodate`` validator reads."""
    try:
        date_str_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def clean_dataset(dataset: dict[str, Any], dataset_type: str = "dataset"
                  ) -> tuple[list[str], list[int] | None]:
    """Clean a mapped dataset in place (module docstring); returns the warnings, and the
    remote positions of the resources kept when some were dropped (else None)."""
    cleaner = _Cleaner()
    dataset_limits, resource_limits = _limits_of(dataset_type)
    cleaner.fields("", dataset, dataset_limits, SOURCE_URL)
    if isinstance(dataset.get("tags"), list):
        dataset["tags"] = cleaner.tags(dataset["tags"])
    positions = None
    resources = dataset.get("resources")
    if isinstance(resources, list):
        for index, resource in enumerate(resources):
            if isinstance(resource, dict):
                cleaner.resource(index, resource, resource_limits)
        positions = cleaner.duplicates(resources)
        if positions is not None:
            dataset["resources"] = [resources[index] for index in positions]
    if cleaner.more:
        cleaner.warnings.append(bilingual(N_("… and {count} more warnings"),
                                          count=cleaner.more))
    return cleaner.warnings, positions


def content_hash(dataset: Any) -> str:
    """A digest of the mapped content, independent of key order."""
    return hashlib.sha256(msgspec.json.encode(dataset, order="sorted",
                                              enc_hook=str)).hexdigest()


def normalized_url(url: str) -> str:
    """A resource URL as duplicates are compared: no scheme (http and https alike), the
    host in lower case without its default port, percent-escapes in one form, no fragment,
    no trailing ``/``."""
    text = url.strip()
    start = text.find("://")
    rest = (text[start + 3:] if start >= 0 else text).partition("#")[0]
    ends = [index for index in (rest.find("/"), rest.find("?")) if index >= 0]
    cut = min(ends) if ends else len(rest)
    netloc = rest[:cut].rpartition("@")[2].lower()
    if netloc.endswith((":80", ":443")):
        netloc = netloc.rpartition(":")[0]
    path, _mark, query = rest[cut:].partition("?")
    # (only an address with escapes or other than ASCII letters has another form)
    if "%" in path or not path.isascii():
        path = urllib.parse.quote(urllib.parse.unquote(path), safe=URL_SAFE)
    if "%" in query or not query.isascii():
        query = urllib.parse.quote(urllib.parse.unquote(query), safe=URL_SAFE + "?")
    return f"{netloc}{path.rstrip('/')}{f'?{query}' if query else ''}"


URL_SAFE = "/:@!$&'()*+,;=~-._"


def normalized_title(title: str) -> str:
    """A title as duplicates are compared: NFKC (full-width letters, digits and spaces as
    half-width), case folded, without white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", title)).casefold()


def organization_key(organization: dict[str, Any]) -> str:
    """What says two records come from one organization: a municipality's code, else the
    local organization's name."""
    if organization.get("tdpf_provider_type") == "municipality" and \
            organization.get("municipality_code"):
        return f"municipality:{organization['municipality_code']}"
    return f"organization:{organization.get('name') or ''}"


def match_keys(dataset: dict[str, Any], organization: dict[str, Any]
               ) -> tuple[str | None, str | None]:
    """The keys a record is matched by across sources (module docstring): a digest of its
    normalised resource URLs (None without any), and one of its organization's key and its
    normalised title (None without a title)."""
    urls = sorted({normalized_url(resource["url"]) for resource in dataset.get("resources")
                   or [] if isinstance(resource, dict) and isinstance(resource.get("url"), str)
                   and resource["url"].strip()})
    url_key = hashlib.sha256("\n".join(urls).encode()).hexdigest() if urls else None
    title = dataset.get("title")
    normalized = normalized_title(title) if isinstance(title, str) else ""
    title_key = hashlib.sha256(f"{organization_key(organization or {})}|{normalized}"
                               .encode()).hexdigest() if normalized else None
    return url_key, title_key
