"""``make bench-cloud``: the cloud-mode stack (tools/stack.sh cloud-up) against the
standalone engines, in one run, on the same database and data.

* search: ``package_search`` p95 through the proxy (two web processes, the Solr balancer,
  the SolrCloud collection with 2 replicas) against one web process of the same config on
  the standalone Solr (a core of its own, indexed from the same database), ABBA rounds;
* harvest: records per second of a queued harvest of the recorded Tokyo catalog (gather,
  then fetch consumers importing one object at a time, as cron's runs do) with one fetch
  consumer and with two on SolrCloud, and with one on the standalone Solr;
* rating: files rated per second through the job queue with one job worker and with two.

Writes ``bench/cloud-results.json`` (the metrics format of ``bench/run.py``) and prints a
table. Sizes: ``TDPF_BENCH_CLOUD_RECORDS`` (default 200), ``TDPF_BENCH_CLOUD_ROUNDS``
(default 4 rounds of 100 searches a side), ``TDPF_BENCH_CLOUD_FILES`` (default 12).
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time
import uuid

import requests

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tools/cloud"))
from tests.conftest import CLOUD, RECORDS, Cloud, fresh, wait_until  # noqa: E402

from ckanext.tdpf.harvest.tests import replay  # noqa: E402

VENV = ROOT / ".venv/bin"
RECORD_COUNT = int(os.environ.get("TDPF_BENCH_CLOUD_RECORDS", "200"))
ROUNDS = int(os.environ.get("TDPF_BENCH_CLOUD_ROUNDS", "4"))
FILES = int(os.environ.get("TDPF_BENCH_CLOUD_FILES", "12"))
QUERIES = 100
STANDALONE_SOLR = os.environ.get("TDPF_BENCH_STANDALONE_SOLR",
                                 "http://127.0.0.1:8983/solr/ckan_cloud")
STANDALONE_PORT = 5103
WORDS = ["東京", "人口", "公園", "トイレ", "AED", "避難所", "図書館", "統計", "予算", "保育"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def metric(name: str, value: float, unit: str) -> dict:
    return {"name": name, "value": round(value, 3), "unit": unit, "target": None,
            "holds": None}


def stack_env(**overrides: str) -> dict[str, str]:
    out = subprocess.run([str(ROOT / "tools/stack.sh"), "cloud-env"], check=True,
                         capture_output=True, text=True).stdout
    env = dict(os.environ)
    env.update(line.split("=", 1) for line in out.splitlines() if "=" in line)
    env.update(overrides)
    return env


def cloud() -> Cloud:
    env = stack_env()
    import redis

    return Cloud(env["CKAN_SITE_URL"], ["http://127.0.0.1:5101", "http://127.0.0.1:5102"],
                 ["http://127.0.0.1:8990", "http://127.0.0.1:8991"],
                 (CLOUD / "admin-token").read_text().strip(), env["CKAN_SQLALCHEMY_URL"],
                 redis.Redis.from_url(env["CKAN_REDIS_URL"]))


def ctl(action: str, name: str) -> None:
    subprocess.run([str(ROOT / "tools/stack.sh"), "cloud-ctl", action, name], check=True,
                   stdout=subprocess.DEVNULL)


# --- search ------------------------------------------------------------------------------
def timed_searches(base: str, token: str, count: int, seed: int) -> list[float]:
    session = requests.Session()
    times = []
    for number in range(count):
        word = WORDS[(seed + number) % len(WORDS)]
        started = time.perf_counter()
        response = session.get(f"{base}/api/3/action/package_search", timeout=60,
                               headers={"Authorization": token},
                               params={"q": word, "rows": 20, "facet.field": json.dumps(
                                   ["organization", "tdpf_theme", "res_format",
                                    "tdpf_distribution"])})
        times.append((time.perf_counter() - started) * 1000)
        assert response.ok, response.text[:300]
    return times


def search(stack: Cloud) -> list[dict]:
    """The standalone side is a web process of the same config whose Solr is one core on
    the standalone Solr, indexed from the same database just before."""
    env = stack_env(CKAN_SOLR_URL=STANDALONE_SOLR)
    subprocess.run([str(VENV / "ckan"), "-c", str(CLOUD / "ckan.ini"), "search-index",
                    "rebuild"], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    log = open(CLOUD / "logs/bench-standalone-web.log", "w")
    server = subprocess.Popen(
        [str(VENV / "gunicorn"), "--chdir", str(ROOT / "docker"), "wsgi:application",
         "--bind", f"127.0.0.1:{STANDALONE_PORT}", "--workers", "1", "--threads", "4"],
        env=dict(env, CKAN_INI=str(CLOUD / "ckan.ini")), stdout=log, stderr=log)
    standalone = f"http://127.0.0.1:{STANDALONE_PORT}"
    try:
        wait_until(lambda: _answers(standalone), "the standalone web process", 120)
        sides = {"cloud": [], "standalone": []}
        for side in ("cloud", "standalone"):  # warm both
            timed_searches(stack.proxy if side == "cloud" else standalone, stack.token, 20, 0)
        for number in range(ROUNDS):
            order = ("cloud", "standalone") if number % 2 == 0 else ("standalone", "cloud")
            for side in order:
                base = stack.proxy if side == "cloud" else standalone
                sides[side] += timed_searches(base, stack.token, QUERIES, number)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    cloud_p95, standalone_p95 = (percentile(sides[s], 0.95) for s in ("cloud", "standalone"))
    return [metric("cloud_search_p95_ms", cloud_p95, "ms"),
            metric("cloud_search_p95_ms_standalone", standalone_p95, "ms"),
            metric("cloud_search_p95_ratio_vs_standalone", cloud_p95 / standalone_p95, "x"),
            metric("cloud_search_queries_per_side", len(sides["cloud"]), "queries")]


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/api/3/action/status_show", timeout=5).ok
    except requests.ConnectionError:
        return False


# --- harvest -----------------------------------------------------------------------------
def harvest_rate(stack: Cloud, records: list[dict]) -> float:
    records = fresh(records)
    server, _catalog = replay.serve(records)
    try:
        source = stack.harvest_source(f"http://127.0.0.1:{server.server_address[1]}")
        started = time.monotonic()
        job = stack.action("harvest_job_create", source_id=source["id"])
        wait_until(lambda: stack.jobs_idle([job["id"]]), "the bench harvest", 3600)
        elapsed = time.monotonic() - started
        (finished,) = stack.finish(job["id"])
        assert finished["stats"]["errored"] == 0, finished["stats"]
        stack.assert_exactly_once(source["id"], records)
        return len(records) / elapsed
    finally:
        server.shutdown()


def harvest(stack: Cloud) -> list[dict]:
    # each run harvests records of its own (the same files in a second source would be
    # merged into the first one's datasets)
    records = (RECORDS * (RECORD_COUNT // len(RECORDS) + 1))[:RECORD_COUNT]
    ctl("stop", "fetch2")
    try:
        one = harvest_rate(stack, records)
    finally:
        ctl("start", "fetch2")
    two = harvest_rate(stack, records)
    # standalone: one fetch consumer writing to the standalone Solr
    ctl("stop", "fetch1")
    ctl("stop", "fetch2")
    env = stack_env(CKAN_SOLR_URL=STANDALONE_SOLR)
    env["CKAN_REDIS_URL"] += "?socket_timeout=31536000&socket_keepalive=true"
    log = open(CLOUD / "logs/bench-standalone-fetch.log", "w")
    consumer = subprocess.Popen([str(VENV / "ckan"), "-c", str(CLOUD / "consumer.ini"),
                                 "harvester", "fetch-consumer"], env=env, stdout=log,
                                stderr=log)
    try:
        time.sleep(15)  # the consumer's start (CKAN's load) is not part of the harvest
        server, _catalog = replay.serve(fresh(records))
        try:
            source = stack.harvest_source(f"http://127.0.0.1:{server.server_address[1]}")
            started = time.monotonic()
            job = stack.action("harvest_job_create", source_id=source["id"])
            wait_until(lambda: stack.jobs_idle([job["id"]]), "the standalone harvest", 3600)
            standalone = len(records) / (time.monotonic() - started)
            stack.finish(job["id"])
        finally:
            server.shutdown()
    finally:
        consumer.terminate()
        consumer.wait(timeout=60)
        log.close()
        ctl("start", "fetch1")
        ctl("start", "fetch2")
    return [metric("cloud_harvest_records", len(records), "records"),
            metric("cloud_harvest_records_per_s_1_consumer", one, "1/s"),
            metric("cloud_harvest_records_per_s_2_consumers", two, "1/s"),
            metric("cloud_harvest_speedup_2_vs_1_consumer", two / one, "x"),
            metric("cloud_harvest_records_per_s_standalone_1_consumer", standalone, "1/s"),
            metric("cloud_harvest_ratio_vs_standalone_1_consumer", one / standalone, "x")]


# --- rating ------------------------------------------------------------------------------
def rating_rate(stack: Cloud) -> float:
    organization = stack.action("organization_create", name=f"bench-{uuid.uuid4().hex[:8]}",
                                title="ベンチマーク", tdpf_provider_type="public_agency")
    files = sorted(p for p in (ROOT / "ckanext/tdpf/tests/data/datafiles").iterdir()
                   if p.suffix == ".csv")
    started = time.monotonic()
    for number in range(FILES):
        path = files[number % len(files)]
        dataset = stack.action(
            "package_create", name=f"bench-rating-{uuid.uuid4().hex[:12]}",
            owner_org=organization["name"], title="評価ベンチマーク", tdpf_theme=["daily_life"],
            update_frequency="annual", tdpf_distribution="open", license_id="CC-BY-4.0",
            tdpf_personal_data="none", tdpf_warranty=True)
        with open(path, "rb") as upload:
            stack.action("resource_create", package_id=dataset["id"], name=path.stem,
                         _files={"upload": (path.name, upload)})
    wait_until(lambda: stack.action("tdpf_schema_rating_status",
                                    organization=organization["name"])["pending"] == 0,
               "the bench ratings", 1800)
    return FILES / (time.monotonic() - started)


def rating(stack: Cloud) -> list[dict]:
    ctl("stop", "worker2")
    try:
        one = rating_rate(stack)
    finally:
        ctl("start", "worker2")
    time.sleep(15)  # worker2's start
    two = rating_rate(stack)
    return [metric("cloud_rating_files", FILES, "files"),
            metric("cloud_rating_files_per_s_1_worker", one, "1/s"),
            metric("cloud_rating_files_per_s_2_workers", two, "1/s"),
            metric("cloud_rating_speedup_2_vs_1_worker", two / one, "x")]


def main() -> int:
    stack = cloud()
    metrics: list[dict] = []
    for name, run in (("search", search), ("harvest", harvest), ("rating", rating)):
        if os.environ.get("ONLY") and name not in os.environ["ONLY"].split(","):
            continue
        print(f"== cloud {name}", flush=True)
        metrics += run(stack)
    (HERE / "cloud-results.json").write_text(json.dumps({"metrics": metrics}, indent=1))
    width = max(len(m["name"]) for m in metrics)
    for m in metrics:
        print(f"{m['name']:<{width}}  {m['value']:>10} {m['unit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
