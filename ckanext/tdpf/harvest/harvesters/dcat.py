"""``tdpf_dcat``: DCAT catalogs (RDF/XML, Turtle, JSON-LD), parsed with ckanext-dcat's
parser and the TDPF profile, following hydra paging."""
from __future__ import annotations

import json
from typing import Any, Iterator

import ckan.plugins as p
from ckanext.dcat.processors import RDFParser, RDFParserException
from ckanext.harvest.interfaces import IHarvester

from ckanext.tdpf.lib import encoding
from ckanext.tdpf.lib.i18n import N_, Message

from ..http import Client, FetchFailed
from ..mapping import dataset_from_remote
from .base import ListingFailed, Record, TDPFHarvester, organization_spec

PROFILES = ["euro_dcat_ap_3", "tdpf"]
MAX_PAGES = 10_000
# TDPF fields a source serialized with the TDPF profile carries; they win over the mapping.
TDPF_FIELDS = ("title_en", "notes_en", "tdpf_theme", "update_frequency", "license_id")


def rdf_format(text: str) -> str:
    head = text.lstrip()[:200]
    if head.startswith(("{", "[")):
        return "json-ld"
    if head.startswith("<"):
        return "xml"
    return "turtle"


class DCATHarvester(TDPFHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    source_type = "tdpf_dcat"
    title = "TDPF: DCAT（RDF / JSON-LD）"
    description = "DCAT のカタログ（RDF/XML・Turtle・JSON-LD）から収集し、TDPF スキーマに変換します。"

    def records(self, source_url: str, config: dict[str, Any], client: Client
                ) -> Iterator[Record | Exception]:
        url: str | None = source_url
        visited: set[str] = set()
        while url and url not in visited and len(visited) < MAX_PAGES:
            visited.add(url)
            try:
                text = encoding.decode(client.get(url), config["encoding"] or "utf-8")
            except FetchFailed as error:
                raise ListingFailed(error.message) from None
            except encoding.UnknownEncoding as error:
                raise ListingFailed(Message(str(error))) from None
            parser = RDFParser(profiles=PROFILES)
            try:
                parser.parse(text, _format=rdf_format(text))
            except (RDFParserException, ValueError, SyntaxError) as error:
                raise ListingFailed(Message(N_("the catalog at {url} is not valid RDF: "
                                               "{error}"), url=url, error=str(error))) from None
            for parsed in parser.datasets():
                yield self._record(parsed, config, source_url)
            url = parser.next_page()

    @staticmethod
    def _record(parsed: dict[str, Any], config: dict[str, Any], source_url: str
                ) -> Record | Exception:
        extras = {extra.get("key"): extra.get("value") for extra in parsed.get("extras") or []
                  if isinstance(extra, dict)}
        parsed = {**extras, **parsed}
        remote_id = parsed.get("uri") or parsed.get("identifier")
        try:
            if not remote_id:
                raise ValueError("a dataset without an identifier or URI")
            publisher = _publisher(parsed)
            organization = organization_spec(publisher, config, source_url)
            dataset = dataset_from_remote(parsed, name="", owner_org="", config=config)
            del dataset["name"], dataset["owner_org"]
            for field in TDPF_FIELDS:
                if parsed.get(field):
                    dataset[field] = parsed[field]
            return Record(remote_id=str(remote_id), dataset=dataset, organization=organization,
                          url=str(parsed.get("uri") or source_url),
                          modified=str(parsed.get("metadata_modified") or ""))
        except (KeyError, TypeError, ValueError) as error:
            return ValueError(f"{remote_id or '?'}: {error}")


def _publisher(parsed: dict[str, Any]) -> dict[str, Any] | None:
    """The dataset's publisher as a remote organization (name from its identifier)."""
    publishers = parsed.get("publisher")
    if isinstance(publishers, str):
        try:
            publishers = json.loads(publishers)
        except ValueError:
            publishers = None
    publisher = publishers[0] if isinstance(publishers, list) and publishers else None
    if not isinstance(publisher, dict):
        return None
    identifier = (publisher.get("identifier") or publisher.get("uri") or "").rstrip("/")
    name = identifier.rsplit("/", 1)[-1] if identifier else ""
    return {"name": name, "title": publisher.get("name") or name} if name else None
