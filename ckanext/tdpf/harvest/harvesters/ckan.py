"""``tdpf_ckan``: any CKAN action API (the Tokyo catalog, ward CKANs, BODIK, data.go.jp)."""
from __future__ import annotations

from typing import Any, Iterator

import ckan.plugins as p
from ckanext.harvest.interfaces import IHarvester

from ..http import Client, FetchFailed
from ..mapping import dataset_from_remote
from .base import ListingFailed, Record, TDPFHarvester, organization_spec


def api_base(source_url: str) -> str:
    base = source_url.rstrip("/")
    for suffix in ("/api/3/action", "/api/action", "/api/3", "/api"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


class CKANHarvester(TDPFHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    source_type = "tdpf_ckan"
    title = "TDPF: CKAN API（CKANカタログ）"
    description = ("CKAN の API を持つカタログ（東京都オープンデータカタログ、区市町村の CKAN、"
                   "BODIK、data.go.jp）から収集し、TDPF スキーマに変換します。")

    def records(self, source_url: str, config: dict[str, Any], client: Client
                ) -> Iterator[Record | Exception]:
        site = api_base(source_url)
        filters = config["filters"]
        fq = [f"organization:({' OR '.join(filters['organizations'])})"] \
            if filters.get("organizations") else []
        if filters.get("fq"):
            fq.append(filters["fq"])
        start, total = 0, None
        while total is None or start < total:
            params = {"rows": config["page_size"], "start": start, "sort": "id asc",
                      "q": filters.get("q") or "*:*"}
            if fq:
                params["fq"] = " AND ".join(f"({part})" for part in fq)
            try:
                body = client.get_json(f"{site}/api/3/action/package_search", params)
            except FetchFailed as error:
                raise ListingFailed(str(error)) from None
            result = body.get("result") if isinstance(body, dict) else None
            if not isinstance(result, dict) or not isinstance(result.get("results"), list):
                raise ListingFailed(f"unexpected package_search response at start={start}")
            total = int(result.get("count") or 0)
            page = result["results"]
            for record in page:
                yield self._record(record, site, config)
            if not page:
                break
            start += len(page)

    @staticmethod
    def _record(record: Any, site: str, config: dict[str, Any]) -> Record | Exception:
        try:
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise ValueError("a record without an id")
            organization = organization_spec(record.get("organization"), config, site)
            dataset = dataset_from_remote(record, name="", owner_org="", config=config)
            del dataset["name"], dataset["owner_org"]
            return Record(remote_id=record["id"], dataset=dataset, organization=organization,
                          url=f"{site}/dataset/{record.get('name') or record['id']}",
                          modified=str(record.get("metadata_modified") or ""))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            return ValueError(f"{record.get('id') if isinstance(record, dict) else '?'}: "
                              f"{error}")
