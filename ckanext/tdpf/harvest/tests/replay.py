"""A local catalog that answers like the real ones, from recorded real records.

It serves the CKAN action API (``package_search`` with rows/start/sort/fq/q,
``package_show``, ``package_list``, ``organization_list``, 404s), a DCAT catalog in Turtle
with hydra paging, and an A-06 style CSV dataset list in CP932 or UTF-8 with BOM, all built
from the same records. Tests change the records (edit, drop, empty the catalog) and inject
faults (HTTP 500, 0-byte bodies, malformed JSON, timeouts) through ``Catalog``.
"""
from __future__ import annotations

import copy
import csv
import http.server
import io
import json
import pathlib
import re
import threading
import time
import urllib.parse
from typing import Any

import rdflib
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

RECORDS = (pathlib.Path(__file__).resolve().parents[2] / "tests/data/tokyo-catalog/package_show")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")


def recorded_records() -> list[dict[str, Any]]:
    """The real Tokyo records (the 0-byte one is skipped: it has nothing to serve)."""
    records = []
    for path in sorted(RECORDS.glob("*.json")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8"))["result"])
        except (ValueError, KeyError):
            continue
    return records


class Catalog:
    """The state a test controls: the records and the faults to inject."""

    def __init__(self, records: list[dict[str, Any]]):
        self.records = records
        self.faults: list[str] = []      # consumed one per API request: 500, empty, ...
        self.fault_paths: set[str] = set()  # limit faults to these actions (empty: any)
        self.requests: list[str] = []
        self.csv_encoding = "cp932"
        self.page_size = 100
        self.page_delay = 0.0  # seconds before each page of package_search is answered
        self.lock = threading.Lock()

    def reset(self, records: list[dict[str, Any]]) -> None:
        with self.lock:
            self.records = copy.deepcopy(records)
            self.faults, self.fault_paths, self.requests = [], set(), []
            self.csv_encoding, self.page_size, self.page_delay = "cp932", 100, 0.0

    def take_fault(self, action: str) -> str | None:
        with self.lock:
            if self.faults and (not self.fault_paths or action in self.fault_paths):
                return self.faults.pop(0)
        return None


def _search(records: list[dict], params: dict[str, str]) -> dict:
    found = sorted(records, key=lambda r: r.get("id") or "")
    fq = params.get("fq", "")
    for names in re.findall(r"organization:\(([^)]*)\)", fq):
        wanted = {name.strip() for name in names.split(" OR ")}
        found = [r for r in found if (r.get("organization") or {}).get("name") in wanted]
    since = re.search(r"metadata_modified:\[(\S+) TO \*\]", fq)
    if since:
        found = [r for r in found if r.get("metadata_modified", "") >= since.group(1).rstrip("Z")]
    if params.get("sort", "").startswith("metadata_modified"):
        found.sort(key=lambda r: r.get("metadata_modified", ""),
                   reverse=params["sort"].endswith("desc"))
    start, rows = int(params.get("start", 0)), min(int(params.get("rows", 10)), 1000)
    return {"count": len(found), "results": found[start:start + rows]}


def _dcat(records: list[dict], base: str, page: int, size: int) -> str:
    graph = rdflib.Graph()
    graph.bind("dcat", DCAT)
    graph.bind("dct", DCTERMS)
    catalog = rdflib.URIRef(f"{base}/catalog.ttl")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    chunk = sorted(records, key=lambda r: r["id"])[(page - 1) * size: page * size]
    for record in chunk:
        ref = rdflib.URIRef(f"{base}/dataset/{record['id']}")
        graph.add((catalog, DCAT.dataset, ref))
        graph.add((ref, RDF.type, DCAT.Dataset))
        graph.add((ref, DCTERMS.identifier, rdflib.Literal(record["id"])))
        graph.add((ref, DCTERMS.title, rdflib.Literal(record["title"], lang="ja")))
        if record.get("notes"):
            graph.add((ref, DCTERMS.description, rdflib.Literal(record["notes"], lang="ja")))
        org = record.get("organization") or {}
        publisher = rdflib.URIRef(f"{base}/organization/{org.get('name')}")
        graph.add((ref, DCTERMS.publisher, publisher))
        graph.add((publisher, RDF.type, FOAF.Agent))
        graph.add((publisher, FOAF.name, rdflib.Literal(org.get("title") or "")))
        graph.add((publisher, DCTERMS.identifier, rdflib.Literal(org.get("name") or "")))
        for tag in record.get("tags") or []:
            graph.add((ref, DCAT.keyword, rdflib.Literal(tag["name"])))
        for resource in record.get("resources") or []:
            dist = rdflib.URIRef(f"{base}/dataset/{record['id']}/resource/{resource['id']}")
            graph.add((ref, DCAT.distribution, dist))
            graph.add((dist, RDF.type, DCAT.Distribution))
            graph.add((dist, DCAT.accessURL, rdflib.URIRef(resource["url"].strip()
                                                           .replace(" ", "%20"))))
            graph.add((dist, DCTERMS.title, rdflib.Literal(resource.get("name") or "")))
            if resource.get("format"):
                graph.add((dist, DCTERMS.format, rdflib.Literal(resource["format"])))
            if record.get("license_url"):
                graph.add((dist, DCTERMS.license, rdflib.URIRef(record["license_url"])))
    if page * size < len(records):
        paging = rdflib.URIRef(f"{base}/catalog.ttl?page={page}")
        graph.add((paging, RDF.type, HYDRA.PagedCollection))
        graph.add((paging, HYDRA.nextPage, rdflib.Literal(f"{base}/catalog.ttl?page={page + 1}")))
    return graph.serialize(format="turtle")


CSV_HEADER = ["全国地方公共団体コード", "ID", "地方公共団体名", "データセット_名称", "データセット_概要",
              "データセット_分類", "キーワード", "更新頻度", "ライセンス", "ファイル名", "URL", "ファイル形式"]


def _csv_list(records: list[dict], code: str, encoding: str) -> bytes:
    """A-06 style list: one row per resource of the records of one organization."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for number, record in enumerate(sorted(records, key=lambda r: r["id"]), 1):
        org = record.get("organization") or {}
        extras = {e["key"]: e["value"] for e in record.get("extras") or []}
        groups = "、".join(g.get("title") or "" for g in record.get("groups") or [])
        for resource in record.get("resources") or []:
            writer.writerow([code, record["name"], org.get("title", ""), record["title"],
                             record.get("notes") or "", groups,
                             ",".join(t["name"] for t in record.get("tags") or []),
                             extras.get("更新頻度", ""), record.get("license_title") or "",
                             resource.get("name") or "", resource["url"],
                             resource.get("format") or ""])
    return out.getvalue().encode(encoding, errors="replace")


class Handler(http.server.BaseHTTPRequestHandler):
    catalog: Catalog

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urllib.parse.urlsplit(self.path)
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
        catalog = self.catalog
        catalog.requests.append(self.path)
        action = parts.path.rsplit("/", 1)[-1]
        fault = catalog.take_fault(action)
        if fault == "500":
            return self._send(500, b'{"success": false}')
        if fault == "404":
            return self._send(404, b'{"success": false}')
        if fault == "empty":
            return self._send(200, b"")
        if fault == "malformed":
            return self._send(200, b'{"help": "x", "success": true, "result": {"count": 3, "res')
        if fault == "timeout":
            time.sleep(3)
            return self._send(200, b"{}")
        with catalog.lock:  # reset() replaces the list: this one stays as it is
            records = catalog.records
        base = f"http://{self.headers['Host']}"
        if parts.path == "/api/3/action/package_search":
            time.sleep(catalog.page_delay)
            return self._json({"success": True, "result": _search(records, params)})
        if parts.path == "/api/3/action/package_show":
            found = next((r for r in records if params.get("id") in (r["id"], r["name"])), None)
            if found is None:
                return self._json({"success": False, "error": {
                    "__type": "Not Found Error", "message": "Not found"}}, 404)
            return self._json({"success": True, "result": found})
        if parts.path == "/api/3/action/package_list":
            return self._json({"success": True, "result": sorted(r["name"] for r in records)})
        if parts.path == "/api/3/action/organization_list":
            names = sorted({(r.get("organization") or {}).get("name") for r in records} - {None})
            return self._json({"success": True, "result": names})
        if parts.path == "/catalog.ttl":
            text = _dcat(records, base, int(params.get("page", 1)), catalog.page_size)
            return self._send(200, text.encode(), "text/turtle; charset=utf-8")
        match = re.fullmatch(r"/(\d{6})_opendata_list\.csv", parts.path)
        if match:
            return self._send(200, _csv_list(records, match.group(1), catalog.csv_encoding),
                              "text/csv")
        return self._json({"success": False, "error": {"__type": "Not Found Error"}}, 404)

    def _json(self, body: dict, status: int = 200) -> None:
        self._send(status, json.dumps(body, ensure_ascii=False).encode(),
                   "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(records: list[dict[str, Any]], port: int = 0
          ) -> tuple[http.server.ThreadingHTTPServer, Catalog]:
    catalog = Catalog(copy.deepcopy(records))
    handler = type("CatalogHandler", (Handler,), {"catalog": catalog})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, catalog
