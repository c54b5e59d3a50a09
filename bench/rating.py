"""Rating a whole catalog (issue #15): the real Tokyo records replicated to 5,000 datasets
(``TDPF_BENCH_RATING_DATASETS``), about 47,000 resources, rated through the job queue as
a site does it, then rated again unchanged.

- The datasets are loaded by harvesting a local replay of the records
  (``ckan tdpf-harvest run``, as ``harvest.py`` does), with rating switched off.
- Every resource URL is answered by a local HTTP server with one of the real municipal
  files in ``ckanext/tdpf/tests/data/datafiles/`` (cycled). The records' real hosts are
  kept apart as loopback addresses (127.0.0.1 … 127.0.0.16, one server each), so the
  per-host limit works on the catalog's own spread of hosts. A CSV's bytes differ per
  resource (a number in its last line is changed), so they are scored one by one; the
  Excel files are served as they are. 1 resource in 100 answers 404, 1 in 500 answers
  after the time limit (5 s here), 1 in 500 is larger than the size limit.
- ``rating_catalog_minutes``: ``ckan tdpf-schema rescore --all --queue`` (batch jobs of
  ``rating.batch_size`` datasets) and workers (``ckan jobs worker --burst tdpf_bulk``, one
  per core plus one: scoring is CPU-bound, and a job's waits are filled by another's
  scoring) until the queue is empty, their start-up included.
  Target ≤ 10 min for 5,000 datasets.
- ``rating_rescore_unchanged_seconds``: the same again on the unchanged catalog (the
  server answers conditional requests with 304), queued in one batch per worker
  (``--batch-size``, an operator's choice for an unchanged catalog): an unchanged batch is
  quick, CKAN's worker spends about a second setting up each job, and every batch waits
  about the time limit once (the files that timed out last time are asked again, dealt out
  to the batches). Target ≤ 60 s.
- Context for a busy or slower machine (not judged): ``rating_catalog_cpu_minutes`` and
  ``rating_rescore_cpu_seconds``, the CPU time each phase took (workers, command, file
  servers), and ``rating_cores_busy``, that time over the wall time: well under the
  machine's cores means the run waited for other work on the machine.
"""
from __future__ import annotations

import hashlib
import http.server
import os
import pathlib
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from resource import RUSAGE_CHILDREN, RUSAGE_SELF, getrusage

from bench_site import CKAN, ROOT, environment, settle, write_ini
from harvest import TDPF, catalog

sys.path.insert(0, str(ROOT))
from ckanext.tdpf.harvest.tests import replay  # noqa: E402

DATAFILES = ROOT / "ckanext/tdpf/tests/data/datafiles"
HOSTS = 16
TIMEOUT_S = 5
MAX_BYTES = 5 * 1024 * 1024
LAST_MODIFIED = "Mon, 02 Nov 2026 00:00:00 GMT"


def _fate(number: int) -> str:
    if number % 100 == 0:
        return "missing"
    if number % 500 == 7:
        return "slow"
    if number % 500 == 13:
        return "big"
    return "file"


class Files:
    """What the servers answer, and what they saw."""

    def __init__(self) -> None:
        self.files = [p for p in sorted(DATAFILES.iterdir()) if p.suffix != ".md"]
        self.content = [p.read_bytes() for p in self.files]
        # a CSV's last number, changed per resource: another file of the same shape
        self.last_number = []
        for path, content in zip(self.files, self.content):
            found = list(re.finditer(rb"\d+", content)) if path.suffix.lower() == ".csv" \
                else []
            self.last_number.append((found[-1].start(), found[-1].end()) if found else None)
        self.lock = threading.Lock()
        self.requests = self.not_modified = 0

    def body(self, number: int) -> bytes:
        index = number % len(self.files)
        content, span = self.content[index], self.last_number[index]
        if span is None:
            return content
        return content[:span[0]] + str(number).encode() + content[span[1]:]


def _handler(files: Files):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            with files.lock:
                files.requests += 1
            parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
            number, fate = int(parts[0]), parts[1]
            if fate == "missing":
                return self._send(404, b"not found")
            if fate == "slow":
                time.sleep(TIMEOUT_S + 1)
                return self._send(200, b"a,b\r\n1,2\r\n")
            if fate == "big":
                self.send_response(200)
                self.send_header("Content-Length", str(MAX_BYTES + 1))
                self.end_headers()
                self.close_connection = True
                return None
            body = files.body(number)
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                with files.lock:
                    files.not_modified += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._send(200, body, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

        def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _quiet(request, client_address) -> None:
    pass


def serve(files: Files) -> tuple[list[http.server.ThreadingHTTPServer], int]:
    """One server per loopback address, all on the same port."""
    servers: list[http.server.ThreadingHTTPServer] = []
    port = 0
    for host in range(1, HOSTS + 1):
        server = http.server.ThreadingHTTPServer((f"127.0.0.{host}", port), _handler(files))
        server.daemon_threads = True
        server.handle_error = _quiet  # a client gone after its time limit is expected
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers, port


def rating_catalog(size: int, port: int, files: Files) -> tuple[list[dict], dict[str, int]]:
    """The harvest bench's records, their files on the local servers."""
    records = catalog(size)
    hosts: dict[str, int] = {}
    fates: dict[str, int] = {}
    number = 0
    for record in records:
        for resource in record.get("resources", []):
            number += 1
            original = urllib.parse.urlsplit(resource.get("url") or "").hostname or ""
            host = hosts.setdefault(original, len(hosts) % HOSTS + 1)
            name = files.files[number % len(files.files)].name
            fate = _fate(number)
            fates[fate] = fates.get(fate, 0) + 1
            resource["url"] = f"http://127.0.0.{host}:{port}/{number}/{fate}/{name}"
    return records, fates


def _sql(env: dict, query: str) -> list[tuple]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(env["CKAN_SQLALCHEMY_URL"])
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(sqlalchemy.text(query))]
    engine.dispose()
    return rows


def _cpu_seconds() -> float:
    """CPU time of this process (the file servers) and of its finished children (the
    command and the workers)."""
    own, children = getrusage(RUSAGE_SELF), getrusage(RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rate_through_the_queue(ini: pathlib.Path, env: dict, workers: int,
                            batch_size: int | None = None) -> float:
    """Queue the whole catalog's rating and run workers until the queue is empty."""
    started = time.perf_counter()
    size = ["--batch-size", str(batch_size)] if batch_size else []
    subprocess.run([CKAN, "-c", str(ini), "tdpf-schema", "rescore", "--all", "--queue", *size],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    processes = [subprocess.Popen([CKAN, "-c", str(ini), "jobs", "worker", "--burst",
                                   "tdpf_bulk"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]
    for process in processes:
        _out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"worker failed:\n{err[-3000:]}")
    return time.perf_counter() - started


def measure() -> list[dict]:
    size = int(os.environ.get("TDPF_BENCH_RATING_DATASETS", "5000"))
    # one per core plus one: a batch job waits for its start, its slow downloads and its
    # commit, and another job's scoring fills those waits (README "Rating")
    workers = (os.cpu_count() or 1) + 1
    batch = os.environ.get("TDPF_BENCH_RATING_BATCH")  # datasets per job (default: the site's)
    files = Files()
    servers, port = serve(files)
    records, fates = rating_catalog(size, port, files)
    server, _state = replay.serve(records)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        ini = write_ini(TDPF, "ckan.auth.create_unowned_dataset = true\n"
                              "ckan.views.default_views = image_view\n"
                              "ckanext.tdpf.schema.rating.allow_private_addresses = true\n"
                              f"ckanext.tdpf.schema.rating.timeout = {TIMEOUT_S}\n"
                              f"ckanext.tdpf.schema.rating.max_bytes = {MAX_BYTES}\n"
                              + (f"ckanext.tdpf.schema.rating.batch_size = {batch}\n"
                                 if batch else ""))
        env = environment()
        subprocess.run([CKAN, "-c", str(ini), "harvester", "source", "create", "rating", url,
                        "tdpf_ckan", "rating", "true", "", "MANUAL", '{"page_size": 1000}'],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"  loading {size} datasets", flush=True)
        subprocess.run([CKAN, "-c", str(ini), "tdpf-harvest", "run", "rating"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        resources = _sql(env, "select count(*) from resource r join package p on "
                              "p.id = r.package_id where r.state = 'active' and "
                              "p.state = 'active'")[0][0]
        settle(env["CKAN_SQLALCHEMY_URL"])
        print(f"  rating {resources} resources", flush=True)
        cpu = _cpu_seconds()
        first_s = _rate_through_the_queue(ini, env, workers)
        first_cpu = _cpu_seconds() - cpu
        rated, errors, scored = _sql(env, "select count(*) filter (where error is null), "
                                          "count(*) filter (where error is not null), "
                                          "count(*) filter (where scored_at is not null) "
                                          "from tdpf_schema_resource_rating")[0]
        requests_first = files.requests
        settle(env["CKAN_SQLALCHEMY_URL"])
        print("  rescoring the unchanged catalog", flush=True)
        mark = _sql(env, "select now()")[0][0]
        cpu = _cpu_seconds()
        # one batch per worker (CKAN's worker spends about a second setting up each job,
        # more than 100 unchanged datasets take; every batch waits the time limit once)
        active = _sql(env, "select count(*) from package where state = 'active'")[0][0]
        again_s = _rate_through_the_queue(ini, env, workers,
                                          min(5000, -(-active // workers)))
        again_cpu = _cpu_seconds() - cpu
        rescored = _sql(env, "select count(*) from tdpf_schema_resource_rating where "
                             f"scored_at > '{mark.isoformat()}'")[0][0]
        checked = _sql(env, "select count(*) from tdpf_schema_resource_rating where "
                            f"checked_at > '{mark.isoformat()}'")[0][0]
    finally:
        server.shutdown()
        for file_server in servers:
            file_server.shutdown()
    expected_errors = fates.get("missing", 0) + fates.get("slow", 0) + fates.get("big", 0)
    minutes = first_s / 60
    return [
        {"name": "rating_datasets", "value": size, "unit": "datasets", "target": None,
         "holds": None},
        {"name": "rating_resources", "value": resources, "unit": "resources",
         "target": None, "holds": None},
        {"name": "rating_resources_rated", "value": rated, "unit": "resources",
         "target": resources - expected_errors, "holds": rated == resources - expected_errors},
        {"name": "rating_errors", "value": errors, "unit": "resources",
         "target": expected_errors, "holds": errors == expected_errors},
        {"name": "rating_files_scored", "value": scored, "unit": "resources", "target": None,
         "holds": None},
        {"name": "rating_catalog_minutes", "value": round(minutes, 2), "unit": "min",
         "target": 10, "holds": minutes <= 10},
        # context for a busy or slower machine: the CPU time the rating took (workers,
        # command and file servers) against the wall time on this many cores
        {"name": "rating_catalog_cpu_minutes", "value": round(first_cpu / 60, 2),
         "unit": "min", "target": None, "holds": None},
        {"name": "rating_cores_busy", "value": round(first_cpu / first_s, 2), "unit": "cores",
         "target": None, "holds": None},
        {"name": "rating_resources_per_s", "value": round(resources / first_s, 1),
         "unit": "1/s", "target": None, "holds": None},
        {"name": "rating_requests_first_run", "value": requests_first, "unit": "requests",
         "target": None, "holds": None},
        {"name": "rating_rescore_unchanged_seconds", "value": round(again_s, 1), "unit": "s",
         "target": 60, "holds": again_s <= 60},
        {"name": "rating_rescore_cpu_seconds", "value": round(again_cpu, 1), "unit": "s",
         "target": None, "holds": None},
        {"name": "rating_rescore_not_modified", "value": files.not_modified,
         "unit": "responses", "target": None, "holds": None},
        {"name": "rating_rescore_checked", "value": checked, "unit": "resources",
         "target": resources, "holds": checked == resources},
        {"name": "rating_rescore_scored_again", "value": rescored, "unit": "resources",
         "target": 0, "holds": rescored == 0},
    ]


if __name__ == "__main__":
    import json
    print(json.dumps(measure(), indent=1))
