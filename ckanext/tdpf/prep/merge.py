"""One standard dataset across municipalities (pattern ④): the files of several
municipalities that publish the same 自治体標準オープンデータセット (e.g. 公衆トイレ一覧),
each in its own layout and encoding, merged into one dataset in the standard's layout.

The merged dataset holds two uploaded CSV files:

- the merged file: exactly the standard's columns in order, every source row once, each
  with its municipality's 全国地方公共団体コード (filled from the source organization when
  the source lacks it);
- the source table (出典対応表): for every row of the merged file, its municipality code,
  source dataset, source resource id, source table and source row (1-based data row of
  the prepared table), so every row can be traced to its source. The merged file cannot
  carry this itself: it must keep exactly the standard's columns.

The definition (standard, resource ids and/or organizations), who set it up, and the
outcome of the last merge (rows and errors per source) live in ``tdpf_prep_merge``
(``model.Merge``). A change to a source (a save or deletion of one of its datasets, or a
new dataset of a merged organization) queues a re-merge (``remerge_job``); re-merging the
same sources gives the same bytes and writes nothing. Sources are ordered by municipality
code and resource id, so a source's rows stay together and a change to one source changes
only its rows.

Every source is read as the user who set up the merge: a file that user may not read (a
shared dataset's file without a grant, a private dataset of another organization) is not
merged, answered as a file that does not exist. Shared data and private datasets are never
merged even when the user may read them: the merged dataset is public and open, and would
publish them to everyone. A source's licence must allow a merge (not no-derivatives, not a
provider's own terms) and combine with the others'; the merged dataset takes the least
restrictive licence that keeps every source's terms (``merged_licence``), attributing each
source in the source table. Everything is written through CKAN's actions (package_create,
resource_create, resource_update), so the merged file is rated and indexed like any file.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import logging
import re
from typing import Any

from sqlalchemy import event
from werkzeug.datastructures import FileStorage

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import municipalities, vocabularies
from ckanext.tdpf.lib.i18n import N_, bilingual, english, japanese

from . import engine, fetch
from .model import Merge, now

log = logging.getLogger(__name__)

CODE_COLUMN = "全国地方公共団体コード"
NAME_COLUMN = "地方公共団体名"
# The source table's columns (data, in the site's language like the standard's columns).
TRACE_HEADER = ["統合後の行", "全国地方公共団体コード", "出典データセット", "出典リソースID",
                "出典テーブル", "出典行"]
# The dataset field a merged dataset needs in the TDPF schema, by standard (その他 when
# the standard is not listed).
THEMES = {
    "public_toilet": "daily_life", "aed": "medical_welfare", "hospital": "medical_welfare",
    "care_service": "medical_welfare", "evacuation_space": "disaster_prevention",
    "fire_hydrant": "disaster_prevention", "public_facility": "daily_life",
    "preschool": "population_aging", "tourism": "tourism", "cultural_property": "arts_culture",
    "event": "arts_culture", "public_wireless_lan": "daily_life",
}
PAGE_ROWS = 1000
MAX_SOURCES = 500

SOURCE_ERRORS = {
    "not_readable": N_("No file you may read has this id (it does not exist, or its "
                       "dataset's files are for approved users only)."),
    "unreachable": N_("The file could not be downloaded."),
    "too_large": N_("The file is larger than the size limit for data preparation."),
    "timeout": N_("Downloading the file took longer than the time limit."),
    "forbidden_address": N_("The file's address is not a public address."),
    "not_standard": N_("The file is not recognisably a {standard} file: no table of it "
                       "has the standard's columns (or its file name)."),
    "removed": N_("The file was deleted; its rows were removed from the merged file."),
    "merged": N_("The file is itself a merged file; it cannot be a source."),
    "shared": N_("The file is shared data (for approved users only); a merged dataset is "
                 "open, so it cannot be a source."),
    "private": N_("The file belongs to a private dataset; a merged dataset is public, so it "
                  "cannot be a source."),
    "licence_not_mergeable": N_("The file's licence ({licence}) does not allow a changed or "
                                "combined version of the data; ask its provider for an open "
                                "licence."),
    "licence_conflict": N_("The file's licence ({licence}) cannot be combined with the "
                           "licence of the files merged before it ({merged})."),
}

# A merge adapts its sources (converts and joins them), so a source's licence must allow
# adaptation, and the merged dataset's licence must keep every source's terms. For each
# licence a merge takes: the licences a merged dataset holding it may have. Attribution-only
# licences (PDL 1.0 and 政府標準利用規約 2.0 are compatible with CC BY 4.0) go into any of
# them, their attribution given by the source table; share-alike and non-commercial terms
# carry over. No-derivatives licences, a provider's own terms and the TDPF shared and paid
# terms are not merged.
ATTRIBUTION_LICENCES = ("CC-BY-4.0", "CC-BY-2.1-JP", "CC0-1.0", "PDL-1.0", "GSTOU-2.0")
MERGED_LICENCES = ("CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0", "CC-BY-NC-4.0",
                   "CC-BY-NC-SA-4.0")  # the least restrictive first
LICENCE_ALLOWS = {
    **{licence: frozenset(MERGED_LICENCES) for licence in ATTRIBUTION_LICENCES},
    "CC-BY-SA-4.0": frozenset({"CC-BY-SA-4.0"}),
    "ODbL-1.0": frozenset({"ODbL-1.0"}),
    "CC-BY-NC-4.0": frozenset({"CC-BY-NC-4.0", "CC-BY-NC-SA-4.0"}),
    "CC-BY-NC-SA-4.0": frozenset({"CC-BY-NC-SA-4.0"}),
}


def merged_licence(licences: list[str]) -> str | None:
    """The licence of a merged dataset whose sources have ``licences`` (all mergeable and
    compatible): theirs when they share one, else the least restrictive that keeps every
    source's terms; None when they cannot be combined (or there are none)."""
    if not licences or any(licence not in LICENCE_ALLOWS for licence in licences):
        return None
    if len(set(licences)) == 1:
        return licences[0]
    return next((licence for licence in MERGED_LICENCES
                 if licence in _allowed(licences)), None)


def _allowed(licences: list[str]) -> frozenset[str]:
    return frozenset.intersection(*(LICENCE_ALLOWS.get(licence, frozenset())
                                    for licence in licences)) if licences else frozenset()


def keeps_terms(licence: str | None, licences: list[str]) -> bool:
    """Whether a merged dataset under ``licence`` keeps the terms of sources under
    ``licences`` (the provider may choose a stricter one than ``merged_licence``)."""
    return bool(licences) and (licence == merged_licence(licences)
                               or licence in _allowed(licences))


def licence_title(licence: str | None) -> str:
    """A licence by its title in the TDPF licence register ("—" for none)."""
    return vocabularies.LICENSE_TITLES.get(licence or "", (licence or "—",))[0]


class _Licences:
    """The licences of the sources admitted so far, in order: a source whose licence does
    not allow a merge, or cannot join theirs, is refused (before its file is read)."""

    def __init__(self) -> None:
        self.admitted: list[str] = []

    def check(self, source: "Source") -> None:
        """Raise SourceError if the source's licence cannot be merged here."""
        licence = source.license_id or ""
        if licence not in LICENCE_ALLOWS:
            raise SourceError("licence_not_mergeable", licence=licence_title(licence))
        if self.admitted and merged_licence(self.admitted + [licence]) is None:
            raise SourceError("licence_conflict", licence=licence_title(licence),
                              merged=licence_title(merged_licence(self.admitted)))

    def admit(self, source: "Source") -> None:
        if not source.error and source.license_id:
            self.admitted.append(source.license_id)


class SourceError(Exception):
    """A source cannot be merged; ``code`` is a key of ``SOURCE_ERRORS`` or of
    ``engine.ERRORS``."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def msgid(self) -> str:
        return SOURCE_ERRORS.get(self.code) or engine.ERRORS[self.code]

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "ja": japanese(self.msgid, **self.params),
                "en": english(self.msgid, **self.params)}


# --- the standards and the conversion (lib.standards by "std", engine.standardize by "conv")


def standards() -> dict[str, Any]:
    from ckanext.tdpf.lib import standards as lib_standards
    return lib_standards.standards()


def get_standard(standard_id: str) -> Any:
    from ckanext.tdpf.lib import standards as lib_standards
    return lib_standards.get(standard_id)


def _identify(file_name: str | None, header: list[str]) -> Any:
    from ckanext.tdpf.lib.standards import conformance
    return conformance.identify(file_name, header)


def _resembles(standard: Any, header: list[str]) -> Any:
    """Identification of a table as ``standard`` although another standard (or none) fits
    it better: the share of the standard's columns found under any name reaches the
    conformance's "resembles" share, and one of the columns only this standard has is
    among them (a listed file is taken as what the caller says it is, unless it is not)."""
    from ckanext.tdpf.lib.standards import conformance
    found = {match.column for match in conformance.column_matches(standard, header)}
    similarity = len(found) / len(standard.columns)
    if similarity >= conformance.RESEMBLES and found & conformance.distinct_columns(
            standard.id):
        return conformance.Identification(standard.id, "resembles", "local",
                                          round(similarity, 3))
    return None


def _check(standard: Any, header: list[str], rows: list[list[str]]) -> dict[str, Any]:
    from ckanext.tdpf.lib.standards import conformance
    return conformance.check(standard, header, rows).as_dict()


def _convert(header: list[str], rows: list[list[str]], standard: Any,
             publisher: tuple[str | None, str | None]) -> Any:
    from .engine import standardize
    return standardize.convert(header, rows, standard,
                               standardize.Publisher(lgcode=publisher[0], name=publisher[1]))


def file_name(standard: Any, lgcode: str | None) -> str:
    from ckanext.tdpf.lib import standards as lib_standards
    if lgcode:
        return lib_standards.file_name(standard, lgcode)
    return f"{standard.id}.csv"


# --- sources ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Source:
    """One source file and what merging it gave."""

    resource_id: str
    package_id: str = ""
    package_name: str = ""
    organization: str = ""          # the source dataset's organization (id)
    organization_title: str = ""
    lgcode: str | None = None       # the organization's 全国地方公共団体コード
    name: str = ""                  # the resource's name
    license_id: str | None = None   # the source dataset's licence
    table: str | None = None        # the tables of the file that are the standard
    layout: str | None = None
    rows: int = 0
    first_row: int | None = None    # its first row in the merged file (1-based)
    score_before: int | None = None
    error: dict[str, str] | None = None
    converted: list[tuple[str, Any]] = dataclasses.field(default_factory=list, repr=False)

    @property
    def order(self) -> tuple[str, str]:
        return (self.lgcode or "~", self.resource_id)

    def as_dict(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)
                if field.name != "converted"}


def organization_code(organization: dict[str, Any]) -> str | None:
    code = organization.get("municipality_code") or next(
        (extra.get("value") for extra in organization.get("extras") or []
         if extra.get("key") == "municipality_code"), None)
    return code if isinstance(code, str) and municipalities.lookup(code) else None


FILE_CODE = re.compile(r"^(\d{6})_")


def source_code(dataset_code: str | None, organization: dict[str, Any],
                file_name: str | None) -> str | None:
    """The source's 全国地方公共団体コード: its dataset's (from its organization); a
    file named by the standard's rule (``131130_public_toilet.csv``) names it when the
    organization has no code, or only a prefecture's code and the file a municipality's of
    that prefecture (a prefecture publishing its municipalities' lists)."""
    code = dataset_code if dataset_code and municipalities.lookup(dataset_code) else \
        organization_code(organization)
    found = FILE_CODE.match(file_name or "")
    named = found.group(1) if found and municipalities.lookup(found.group(1)) else None
    if named and (code is None or (municipalities.is_prefecture(code) and named[:2] ==
                                   code[:2] and not municipalities.is_prefecture(named))):
        return named
    return code


def publisher_of(code: str | None, organization: dict[str, Any]) -> tuple[str | None,
                                                                           str | None]:
    """(全国地方公共団体コード, 地方公共団体名 such as 東京都渋谷区) of a source: named from
    the national list, else by its organization."""
    from .engine import standardize
    found = standardize.publisher_of(code)
    if found is not None:
        return found.lgcode, found.name
    return None, organization.get("title") or organization.get("name") or None


def readable(user: str, resource_id: str) -> dict[str, Any] | None:
    """The resource as ``user`` sees it, if they may read its file: an active resource of an
    active dataset they may see, not redacted (a shared dataset's file is given only to
    those entitled to it; CKAN's ``resource_show`` then shows the resource without its
    address)."""
    resource = model.Resource.get(resource_id) if isinstance(resource_id, str) else None
    if resource is None or resource.state != "active" or resource.package is None or \
            resource.package.state != "active":
        return None
    try:
        shown = tk.get_action("resource_show")({"user": user}, {"id": resource.id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None
    if (shown.get("url_type") or None) != (resource.url_type or None):
        return None
    if resource.url_type != "upload" and shown.get("url") != resource.url:
        return None
    return shown


def not_open(user: str, package_id: str) -> str | None:
    """``shared`` for shared data (流通区分 シェアードデータ, tdpf_distribution as package_show
    gives it: files for approved users only), ``private`` for a private dataset, else None:
    a merged dataset is public and open, and would publish their rows to everyone."""
    dataset = tk.get_action("package_show")({"user": user}, {"id": package_id})
    if dataset.get("tdpf_distribution") == "shared":
        return "shared"
    return "private" if dataset.get("private") else None


def _organization(organization_id: str | None) -> dict[str, Any]:
    if not organization_id:
        return {}
    try:
        return tk.get_action("organization_show")(
            {"ignore_auth": True}, {"id": organization_id, "include_datasets": False,
                                    "include_users": False, "include_extras": True})
    except tk.ObjectNotFound:
        return {}


def describe(resource: dict[str, Any]) -> Source:
    package = model.Package.get(resource["package_id"])
    organization = _organization(package.owner_org if package else None)
    dataset_code = package.extras.get("municipality_code") if package else None
    return Source(resource_id=resource["id"], package_id=resource["package_id"],
                  package_name=package.name if package else "",
                  organization=organization.get("id", ""),
                  organization_title=organization.get("title", ""),
                  lgcode=source_code(dataset_code, organization, _stored_name(resource)),
                  name=resource.get("name") or "",
                  license_id=package.license_id if package else None)


def _stored_name(resource: dict[str, Any]) -> str | None:
    row = model.Resource.get(resource["id"])
    url = (row.url if row is not None else resource.get("url")) or ""
    return url.rsplit("/", 1)[-1].split("?", 1)[0] or None


def read_source(resource: dict[str, Any], standard: Any, source: Source) -> None:
    """Read, prepare, identify and convert one source (into ``source``), or SourceError."""
    try:
        content = fetch.fetch(resource)
    except fetch.FetchError as error:
        raise SourceError(error.code) from None
    try:
        prepared = engine.prepare(content)
    except engine.PrepError as error:
        raise SourceError(error.code) from None
    name = _stored_name(resource)
    candidates = []
    for table in prepared.tables:
        identified = _identify(name, table.header)
        by_header = _resembles(standard, table.header)
        if identified is None or identified.standard_id != standard.id:
            identified = by_header
        if identified is not None:
            candidates.append((table, identified, by_header is not None or
                               identified.how != "file_name"))
    if not candidates:
        raise SourceError("not_standard", standard=standard.title)
    # the likeliest table, and every other whose own header is the standard's (a sheet
    # per area); not a notes table that only the file's name calls one
    best = max(candidates, key=lambda item: item[1].similarity)
    found = [(table, identified) for table, identified, by_header in candidates
             if by_header or table is best[0]]
    publisher = publisher_of(source.lgcode, {"title": source.organization_title})
    source.converted = [(table.name, _convert(table.header, table.rows, standard, publisher))
                        for table, _ in found]
    source.table = ", ".join(table.name for table, _ in found)
    source.layout = best[1].layout
    source.rows = sum(len(converted.rows) for _, converted in source.converted)
    source.score_before = min((getattr(converted.before, "score", None)
                               for _, converted in source.converted
                               if getattr(converted.before, "score", None) is not None),
                              default=None)


# --- building the merged file --------------------------------------------------------------


@dataclasses.dataclass
class Built:
    header: list[str]
    rows: list[list[str]]
    trace: list[list[str]]
    sources: list[Source]
    conformance: dict[str, Any] | None
    source_licences: list[str] = dataclasses.field(default_factory=list)

    @property
    def license_id(self) -> str | None:
        """The merged dataset's licence, from its sources' (``merged_licence``)."""
        return merged_licence(self.source_licences)

    @staticmethod
    def _csv(header: list[str], rows: list[list[str]]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8")

    @property
    def merged_bytes(self) -> bytes:
        return self._csv(self.header, self.rows)

    @property
    def trace_bytes(self) -> bytes:
        return self._csv(TRACE_HEADER, self.trace)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.merged_bytes + b"\0" + self.trace_bytes).hexdigest()

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"resource_id": s.resource_id, **s.error} for s in self.sources if s.error]


def build(standard: Any, sources: list[Source]) -> Built:
    """The merged rows and their trace, from the sources read without error, in order."""
    header = [column.name for column in standard.columns]
    rows: list[list[str]] = []
    trace: list[list[str]] = []
    code_at = header.index(CODE_COLUMN) if CODE_COLUMN in header else None
    for source in sorted(sources, key=lambda s: s.order):
        if not source.converted:
            continue
        source.first_row = len(rows) + 1 if source.rows else None
        for table, converted in source.converted:
            if list(converted.header) != header:  # the contract: all columns, in order
                raise RuntimeError(f"conversion gave other columns for {source.resource_id}")
            for row, source_row in zip(converted.rows, converted.source_rows):
                row = list(row)
                if code_at is not None and not row[code_at] and source.lgcode:
                    row[code_at] = source.lgcode
                rows.append(row)
                code = row[code_at] if code_at is not None else (source.lgcode or "")
                trace.append([str(len(rows)), code, source.package_name,
                              source.resource_id, table, str(source_row)])
    conformance = _check(standard, header, rows) if rows else None
    licences = [source.license_id or "" for source in sources
                if source.converted and not source.error]
    return Built(header, rows, trace, sorted(sources, key=lambda s: s.order), conformance,
                 licences)


# --- which sources ---------------------------------------------------------------------------


def merged_package_ids() -> set[str]:
    return Merge.package_ids()


TABULAR = {"", "csv", "tsv", "txt", "xls", "xlsx", "ods"}


def _matches(resource: dict[str, Any], standard: Any) -> bool:
    """Worth reading as a file of ``standard``: rated as one (tdpf_mr_standard), named by
    the standard's file-name rule (``…_public_toilet.csv``) or after its title, or a table
    the data rate has not judged yet (its header tells)."""
    if resource.get("tdpf_mr_standard") == standard.id:
        return True
    if not resource.get("tdpf_mr_checked_at") and \
            (resource.get("format") or "").strip().lower() in TABULAR:
        return True
    name = (resource.get("url") or "").rsplit("/", 1)[-1].lower()
    if re.search(rf"(^|[_\-]){re.escape(standard.id)}([_\-.]|$)", name):
        return True
    return bool(standard.title) and standard.title in (resource.get("name") or "")


def organization_resources(user: str, organization_id: str, standard: Any,
                           skip: set[str]) -> list[dict[str, Any]]:
    """The resources of an organization's datasets that may be files of ``standard``."""
    found: list[dict[str, Any]] = []
    start = 0
    while True:
        result = tk.get_action("package_search")({"user": user}, {
            "fq": f'owner_org:"{organization_id}"', "include_private": True,
            "rows": PAGE_ROWS, "start": start, "sort": "id asc"})
        for dataset in result["results"]:
            if dataset["id"] in skip:
                continue
            found.extend(r for r in dataset.get("resources") or [] if _matches(r, standard))
        start += PAGE_ROWS
        if start >= result["count"] or not result["results"]:
            return found


def collect(user: str, standard: Any, resource_ids: list[str], organizations: list[str],
            strict: bool) -> list[Source]:
    """Every source, read and converted. Listed resources that cannot be merged are
    errors (raised as one ValidationError naming ``resource_ids`` when ``strict``, else
    recorded on the source); an organization's files that are not this standard's, or
    that ``user`` may not read, are left out."""
    skip = merged_package_ids()
    sources: dict[str, Source] = {}
    failures: list[str] = []
    licences = _Licences()
    for resource_id in resource_ids:
        resource = readable(user, resource_id)
        if resource is None:
            removed = model.Resource.get(resource_id)
            code = ("removed" if removed is not None and (
                removed.state != "active" or removed.package.state != "active")
                and not strict else "not_readable")
            source = Source(resource_id=resource_id, error=SourceError(code).as_dict())
        elif resource["package_id"] in skip:
            source = describe(resource)
            source.error = SourceError("merged").as_dict()
        elif not_open(user, resource["package_id"]):
            source = describe(resource)
            source.error = SourceError(not_open(user, resource["package_id"])).as_dict()
        else:
            source = describe(resource)
            try:
                licences.check(source)
                read_source(resource, standard, source)
            except SourceError as error:
                source.error = error.as_dict()
            licences.admit(source)
        if source.error:
            failures.append(_field_message(resource_id, source))
        sources[resource_id] = source
    if failures and strict:
        raise tk.ValidationError({"resource_ids": failures})
    for organization_id in organizations:
        for resource in organization_resources(user, organization_id, standard, skip):
            if resource["id"] in sources or len(sources) >= MAX_SOURCES:
                continue
            shown = readable(user, resource["id"])
            if shown is None or not_open(user, shown["package_id"]):
                continue
            source = describe(shown)
            try:
                licences.check(source)
                read_source(shown, standard, source)
            except SourceError as error:
                if error.code == "not_standard":
                    continue  # named like one, but another kind of file
                source.error = error.as_dict()
            licences.admit(source)
            sources[resource["id"]] = source
    return list(sources.values())


def _field_message(resource_id: str, source: Source) -> str:
    error = source.error or {}
    label = f"{source.name} ({resource_id})" if source.name else resource_id
    return f"{label}: {error.get('ja')} / {error.get('en')}"


# --- writing ---------------------------------------------------------------------------------


def _upload(content: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name, content_type="text/csv")


def _dataset_fields() -> dict[str, Any]:
    """Fields the site's dataset schema requires of a merged dataset (the TDPF schema: a
    theme), given only when the schema has them."""
    try:
        schema = tk.get_action("scheming_dataset_schema_show")({}, {"type": "dataset"})
    except (KeyError, tk.ObjectNotFound):
        return {}
    return {field["field_name"]: None for field in schema.get("dataset_fields", [])}


def write(user: str, merge: Merge | None, standard: Any, owner_org: str, name: str,
          title: str | None, built: Built) -> tuple[dict[str, Any], Merge, bool]:
    """Create or update the merged dataset and its two files; nothing is written when the
    files would not change. Returns (dataset, merge row, written)."""
    context = {"user": user}
    organization = _organization(owner_org)
    stem = file_name(standard, organization_code(organization)).rsplit(".", 1)[0]
    params = {"title": standard.title}
    merged_resource = {
        "name": japanese(N_("{title} (merged)"), **params), "format": "CSV",
        "description": japanese(N_(
            "The {title} of several municipalities in the standard layout, one row per "
            "source row. Where each row comes from is in the source table."), **params)}
    trace_resource = {
        "name": japanese(N_("Source table of the {title} (merged)"), **params),
        "format": "CSV",
        "description": japanese(N_(
            "For every row of the merged file: its municipality code, source dataset, "
            "source resource id, source table and source row."))}
    new = merge is None
    if merge is None:
        fields = _dataset_fields()
        dataset_dict: dict[str, Any] = {
            "name": name, "owner_org": owner_org,
            "title": title or japanese(N_("{title} (all municipalities)"), **params),
            "notes": japanese(N_(
                "The {title} of the municipalities below in the standard layout of the "
                "自治体標準オープンデータセット, merged and kept up to date by the site: a "
                "change to a source file is merged again."), **params)}
        if "tdpf_theme" in fields:
            dataset_dict["tdpf_theme"] = [THEMES.get(standard.id, "other")]
        if "update_frequency" in fields:  # merged again whenever a source changes
            dataset_dict["update_frequency"] = "continuous"
        if built.license_id:
            dataset_dict["license_id"] = built.license_id
        dataset = tk.get_action("package_create")(dict(context), dataset_dict)
        merge = Merge(package_id=dataset["id"], standard=standard.id, user_id="")
    else:
        dataset = tk.get_action("package_show")(dict(context), {"id": merge.package_id})
        changes = {}
        if title and title != dataset.get("title"):
            changes["title"] = title
        if built.license_id and not keeps_terms(dataset.get("license_id"),
                                                built.source_licences):
            changes["license_id"] = built.license_id  # the sources' terms carry over
        if changes:
            dataset = tk.get_action("package_patch")(dict(context), {
                "id": dataset["id"], **changes})
    present = {r["id"] for r in dataset.get("resources") or []}
    written = False
    if merge.digest != built.digest or merge.merged_resource_id not in present or \
            merge.trace_resource_id not in present:
        try:
            _write_files(context, dataset, merge, present, stem, built, merged_resource,
                         trace_resource)
        except Exception:
            if new:  # no half-made dataset left behind
                model.Session.rollback()
                tk.get_action("dataset_purge")({"ignore_auth": True}, {"id": dataset["id"]})
            raise
        written = True
    return dataset, merge, written


def _write_files(context: dict[str, Any], dataset: dict[str, Any], merge: Merge,
                 present: set[str], stem: str, built: Built, merged_resource: dict[str, Any],
                 trace_resource: dict[str, Any]) -> None:
    for key, meta, content, file in (
            ("merged_resource_id", merged_resource, built.merged_bytes, f"{stem}.csv"),
            ("trace_resource_id", trace_resource, built.trace_bytes, f"{stem}_sources.csv")):
        resource_id = getattr(merge, key)
        data = dict(meta, url="", upload=_upload(content, file))
        if resource_id in present:
            tk.get_action("resource_update")(dict(context), dict(data, id=resource_id))
        else:
            created = tk.get_action("resource_create")(
                dict(context), dict(data, package_id=dataset["id"]))
            setattr(merge, key, created["id"])


def record(merge: Merge, built: Built, user_id: str, written: bool) -> None:
    merge.user_id = user_id
    merge.sources = [source.as_dict() for source in built.sources]
    merge.errors = built.errors
    merge.row_count = len(built.rows)
    merge.conformance = built.conformance
    merge.digest = built.digest
    # a deleted source is not an error: its rows went, as they should
    merge.state = "error" if any(e["code"] != "removed" for e in built.errors) else "done"
    merge.last_attempt = now()
    if written or merge.last_merged is None:
        merge.last_merged = merge.last_attempt
    model.Session.add(merge)
    model.Session.commit()


def run(merge: Merge, user: model.User) -> dict[str, Any]:
    """Merge again from the recorded definition (a background job, ``ckan tdpf-prep
    remerge``); errors of sources are recorded, not raised."""
    standard = get_standard(merge.standard)
    if standard is None:
        raise tk.ValidationError({"standard": [bilingual(N_("Unknown standard."))]})
    sources = collect(user.name, standard, list(merge.resource_ids or []),
                      list(merge.organizations or []), strict=False)
    known = {s.get("resource_id"): s for s in merge.sources or []}
    for source in sources:  # a file gone or no longer readable: as it was recorded
        before = known.get(source.resource_id)
        if source.error and not source.package_id and before:
            for key in ("package_id", "package_name", "organization", "organization_title",
                        "lgcode", "name", "license_id"):
                setattr(source, key, before.get(key) or getattr(source, key))
    built = build(standard, sources)
    package = model.Package.get(merge.package_id)
    _, merge, written = write(user.name, merge, standard, package.owner_org, package.name,
                              None, built)
    record(merge, built, user.id, written)
    return merge.as_dict()


def remerge_job(merge_id: str) -> dict[str, Any] | None:
    """The background job: merge a merged dataset again (nothing is written if its sources
    did not change)."""
    merge = model.Session.get(Merge, merge_id)
    if merge is None:
        return None
    package = model.Package.get(merge.package_id)
    if package is None or package.state != "active":
        return None
    user = model.User.get(merge.user_id)
    if user is None or user.state != "active":
        merge.state = "error"
        merge.last_attempt = now()
        merge.errors = [{"resource_id": None, "code": "no_user",
                         "ja": japanese(NO_USER), "en": english(NO_USER)}]
        model.Session.commit()
        return withdraw_closed(merge_id)
    try:
        return run(merge, user)
    except (tk.NotAuthorized, tk.ValidationError) as error:
        model.Session.rollback()
        merge = model.Session.get(Merge, merge_id)
        merge.state = "error"
        merge.last_attempt = now()
        detail = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in
                           getattr(error, "error_dict", {}).items()) or str(error)
        merge.errors = [{"resource_id": None, "code": "refused", "detail": detail,
                         "ja": japanese(REFUSED), "en": english(REFUSED)}]
        model.Session.commit()
        log.warning("merge %s refused: %s", merge_id, detail)
        return withdraw_closed(merge_id)


def _closed(merge: Merge) -> bool:
    """Whether a source merged last time is no longer open data (made shared or private)."""
    for source in merge.sources or []:
        package = model.Package.get(source.get("package_id") or "") \
            if not source.get("error") else None
        shared = package is not None and (package.extras or {}).get(
            "tdpf_distribution") == "shared"
        if package is not None and package.state == "active" and (package.private or shared):
            return True
    return False


def withdraw_closed(merge_id: str) -> dict[str, Any]:
    """A refused re-merge leaves the merged files as they were, but never with the rows of a
    source that is no longer open (made shared or private since): the merged dataset is
    open. Those rows go by merging again as the site user; an open file reads the same for
    everyone, and shared and private files are refused as always. The refusal stays."""
    merge = model.Session.get(Merge, merge_id)
    if not _closed(merge):
        return merge.as_dict()
    refusal, user_id = list(merge.errors or []), merge.user_id
    site = model.User.get(tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"])
    run(merge, site)
    merge = model.Session.get(Merge, merge_id)
    merge.user_id, merge.state = user_id, "error"
    merge.errors = refusal + list(merge.errors or [])
    model.Session.commit()
    log.warning("merge %s: sources no longer open withdrawn as the site user", merge_id)
    return merge.as_dict()


NO_USER = N_("The user who set up this merge no longer exists; set it up again.")
REFUSED = N_("The user who set up this merge may no longer update the merged dataset; an "
             "editor of its organization sets it up again.")


# --- re-merging when a source changes ------------------------------------------------------

PENDING = "tdpf_prep_pending_merges"


def affected_by(package_id: str) -> list[Merge]:
    """The merges a save or deletion of this dataset may change: it holds (or held) one of
    their sources, or belongs to one of their organizations. A merged dataset's own saves
    change no merge. (Called in ``notice``'s savepoint, which also covers a missing table.)"""
    merges = model.Session.query(Merge).order_by(Merge.created).all()
    package = model.Package.get(package_id) if merges else None
    if package is None or any(m.package_id == package.id for m in merges):
        return []
    resource_ids = {r.id for r in model.Session.query(model.Resource.id).filter(
        model.Resource.package_id == package.id)}
    found = []
    for merge in merges:
        if package.owner_org in (merge.organizations or []) or \
                resource_ids & set(merge.resource_ids or []) or \
                any(s.get("package_id") == package.id for s in merge.sources or []):
            merged = model.Package.get(merge.package_id)
            if merged is not None and merged.state == "active":  # not a deleted one's
                found.append(merge)
    return found


def notice(package_id: str | None) -> None:
    """Remember the merges to redo; they are queued once the change is committed."""
    if not package_id:
        return
    try:
        with model.Session.begin_nested():  # a failure here must not end the save's
            merges = affected_by(package_id)  # transaction
            names = {}
            for merge in merges:
                merge.state = "queued"  # shown on the merged dataset until the job ran
                names[merge.id] = model.Package.get(merge.package_id).name
    except Exception:  # noqa: BLE001 - a missing table (plugin not migrated) breaks no save
        log.warning("finding merges affected by %s failed", package_id, exc_info=True)
        return
    if names:
        model.Session().info.setdefault(PENDING, {}).update(names)


def enqueue(merge_id: str, name: str) -> None:
    tk.enqueue_job(remerge_job, [merge_id], title=f"tdpf merge {name}")


@event.listens_for(model.Session, "after_commit")
def _enqueue_pending(session: Any) -> None:
    for merge_id, name in session.info.pop(PENDING, {}).items():
        try:
            enqueue(merge_id, name)
        except Exception:  # noqa: BLE001 - no queue (Redis down) fails no save
            log.exception("queueing the re-merge of %s", name)
