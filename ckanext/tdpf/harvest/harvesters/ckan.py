"""``tdpf_ckan``: any CKAN action API (the Tokyo catalog, ward CKANs, BODIK, data.go.jp)."""
from __future__ import annotations

import concurrent.futures
from typing import Any, Iterator

import ckan.plugins as p
from ckanext.harvest.interfaces import IHarvester

from ckanext.tdpf.lib.i18n import N_, Message

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
        url = f"{site}/api/3/action/package_search"

        def page_at(start: int) -> tuple[int, list]:
            params = {"rows": config["page_size"], "start": start, "sort": "id asc",
                      "q": filters.get("q") or "*:*"}
            if fq:
                params["fq"] = " AND ".join(f"({part})" for part in fq)
            try:
                body = client.get_json(url, params)
            except FetchFailed as error:
                raise ListingFailed(error.message) from None
            result = body.get("result") if isinstance(body, dict) else None
            if not isinstance(result, dict) or not isinstance(result.get("results"), list):
                raise ListingFailed(Message(N_("package_search gave no list of datasets at "
                                               "start={start}"), start=start))
            return int(result.get("count") or 0), result["results"]

        # The next page is fetched while this one is mapped: one request at a time still,
        # at most two pages in memory.
        fetcher = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tdpf-fetch")
        try:
            upcoming: concurrent.futures.Future | None = fetcher.submit(page_at, 0)
            start = 0
            while upcoming is not None:
                total, page = upcoming.result()
                start += len(page)
                upcoming = fetcher.submit(page_at, start) if page and start < total else None
                for record in page:
                    yield self._record(record, site, config)
        finally:  # a listing given up does not wait for its next page
            fetcher.shutdown(wait=False, cancel_futures=True)

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
