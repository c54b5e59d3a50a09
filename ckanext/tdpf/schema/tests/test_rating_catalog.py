"""Rating at catalog scale (issue #15): batch jobs, concurrent fetches with a per-host
limit, conditional requests and content hashes, time and size limits per file, the bulk
command's progress and the organization's rating status. Files are served by a local
HTTP server that this module starts and that counts what it is asked."""
from __future__ import annotations

import collections
import hashlib
import http.server
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.tdpf.lib import indexing, provenance, rating
from ckanext.tdpf.schema import jobs, pending
from ckanext.tdpf.schema.cli import tdpf_schema
from ckanext.tdpf.schema.fetch import FetchError, HostGate
from ckanext.tdpf.schema.model import ResourceRating
from ckanext.tdpf.schema.tests.conftest import DATAFILES, PLUGINS, QuietServer
from ckanext.tdpf.schema.tests.test_jobs import ROOT, dataset_with, shown
from ckanext.tdpf.schema.tests.test_schema import create, valid

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.allow_private_addresses", True),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]
RATING_OFF = pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)

LIBRARY = "shizuoka-yaizu_222127_library.csv"
AED = "shizuoka-yaizu_222127_aed.csv"
TOILETS = "kagawa-takamatsu_public_toilet.xlsx"


class Served:
    """What the server answers (the files, replaceable) and what it saw."""

    def __init__(self) -> None:
        self.files = {path.name: path.read_bytes() for path in DATAFILES.iterdir()}
        self.lock = threading.Lock()
        self.active: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.statuses: list[tuple[str, int]] = []
        self.delay = 0.0
        self.base = ""

    def begin(self, host: str) -> None:
        with self.lock:
            self.active[host] = self.active.get(host, 0) + 1
            self.most_at_once[host] = max(self.most_at_once.get(host, 0), self.active[host])

    def end(self, host: str, path: str, status: int) -> None:
        with self.lock:
            self.active[host] -= 1
            self.statuses.append((path, status))

    def count(self, status: int) -> int:
        return sum(1 for _path, seen in self.statuses if seen == status)


@pytest.fixture
def files_server():
    """Paths: ``/file/NAME`` (ETag and Last-Modified, answers conditional requests),
    ``/plain/NAME`` (no validators), ``/slow/NAME`` (after 3 s), ``/endless`` (no
    Content-Length, 1 MB), everything else 404; ``served.delay`` slows every answer."""
    served = Served()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            host = self.headers.get("Host", "").split(":")[0]
            served.begin(host)
            status = 500
            try:
                status = self._answer()
            finally:
                served.end(host, self.path, status)

        def _answer(self) -> int:
            time.sleep(served.delay)
            kind, _, name = self.path.strip("/").partition("/")
            if kind == "endless":
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                for _ in range(64):
                    self.wfile.write(b"a,b\r\n" * 3277)
                self.close_connection = True
                return 200
            body = served.files.get(name)
            if body is None or kind not in ("file", "plain", "slow"):
                return self._send(404, b"not found")
            if kind == "slow":
                time.sleep(3)
                return self._send(200, body)
            if kind == "plain":
                return self._send(200, body)
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return 304
            return self._send(200, body, {"ETag": etag,
                                          "Last-Modified": "Mon, 02 Nov 2026 00:00:00 GMT"})

        def _send(self, status, body, headers=None) -> int:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return status

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield served
    server.shutdown()


@pytest.fixture
def clean_rating_pending(reset_redis):
    reset_redis("*tdpf_schema:rating:*")


def row_of(resource_id: str) -> ResourceRating:
    model.Session.remove()
    return model.Session.get(ResourceRating, resource_id)


@RATING_OFF
class TestConditionalAndUnchanged:
    def test_a_304_keeps_the_rating_without_scoring(self, tdpf_org, tdpf_sysadmin,
                                                    files_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, files_server.base + "/file", LIBRARY)
        resource_id = dataset["resources"][0]["id"]
        assert jobs.rate_datasets([dataset["id"]], recheck=True)["rated"] == 1
        first = row_of(resource_id)
        scored, checked = first.scored_at, first.checked_at
        assert first.etag and first.http_last_modified and scored == checked
        again = jobs.rate_datasets([dataset["id"]], recheck=True)
        assert (again["rated"], again["unchanged"]) == (0, 1)
        assert files_server.count(304) == 1 and files_server.count(200) == 1
        second = row_of(resource_id)
        assert second.scored_at == scored and second.checked_at > checked
        # the library list is in the former 推奨データセット layout of 公共施設一覧: stage 3
        # with complete metadata; the 304 keeps its conformance with the rating
        resource = shown(dataset["id"])["resources"][0]
        assert (resource["tdpf_mr_stage"], resource["tdpf_mr_standard"]) == (
            3, "public_facility")

    def test_the_same_bytes_are_not_scored_again(self, tdpf_org, tdpf_sysadmin,
                                                 files_server):
        """A server without validators sends the whole file; its hash is the same."""
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, files_server.base + "/plain", LIBRARY)
        resource_id = dataset["resources"][0]["id"]
        jobs.rate_datasets([dataset["id"]], recheck=True)
        scored = row_of(resource_id).scored_at
        again = jobs.rate_datasets([dataset["id"]], recheck=True)
        assert (again["rated"], again["unchanged"]) == (0, 1)
        assert files_server.count(200) == 2  # fetched again, in full
        assert row_of(resource_id).scored_at == scored
        forced = jobs.rate_datasets([dataset["id"]], recheck=True, force=True)
        assert forced["rated"] == 1 and row_of(resource_id).scored_at > scored

    def test_changed_bytes_are_scored_again(self, tdpf_org, tdpf_sysadmin, files_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, files_server.base + "/file", LIBRARY)
        resource_id = dataset["resources"][0]["id"]
        jobs.rate_datasets([dataset["id"]], recheck=True)
        before = row_of(resource_id)
        sha256, scored, etag = before.sha256, before.scored_at, before.etag
        files_server.files[LIBRARY] = files_server.files["hyogo-kobe_201706okunaihinanjo.csv"]
        again = jobs.rate_datasets([dataset["id"]], recheck=True)
        assert (again["rated"], again["unchanged"]) == (1, 0)
        after = row_of(resource_id)
        assert after.sha256 != sha256 and after.scored_at > scored and after.etag != etag
        assert shown(dataset["id"])["resources"][0]["tdpf_mr_l1"] == 0

    def test_the_rules_not_judged_are_kept_and_shown(self, tdpf_org, tdpf_sysadmin,
                                                     files_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, files_server.base + "/file", TOILETS)
        jobs.rate_dataset(dataset["id"])
        expected = rating.rate((DATAFILES / TOILETS).read_bytes()).not_judged
        assert expected
        resource = shown(dataset["id"])["resources"][0]
        assert resource["tdpf_mr_not_judged"] == expected


@RATING_OFF
class TestLimits:
    @pytest.mark.ckan_config("ckanext.tdpf.schema.rating.host_concurrency", 2)
    def test_concurrent_downloads_within_the_per_host_limit(self, tdpf_org, tdpf_sysadmin,
                                                            files_server):
        tdpf_org()
        files_server.delay = 0.3
        names = [LIBRARY, AED, "chiba-ichikawa_122033_108_aed.csv",
                 "tokyo-shibuya_131130_public_toilet.csv"]
        dataset_with(tdpf_sysadmin, files_server.base + "/file", *names, name="one")
        dataset_with(tdpf_sysadmin, files_server.base + "/file", *names, name="two")
        ids = [row.id for row in model.Session.query(model.Package.id)]
        started = time.monotonic()
        summary = jobs.rate_datasets(ids)
        took = time.monotonic() - started
        assert summary["rated"] == 8
        assert files_server.most_at_once == {"127.0.0.1": 2}
        assert took < 8 * 0.3  # not one after the other

    @pytest.mark.ckan_config("ckanext.tdpf.schema.rating.timeout", 1)
    def test_a_slow_file_is_an_error_of_its_own(self, tdpf_org, tdpf_sysadmin, files_server):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **valid(resources=[
            {"url": f"{files_server.base}/file/{LIBRARY}", "name": "fast"},
            {"url": f"{files_server.base}/slow/{AED}", "name": "slow"},
            {"url": f"{files_server.base}/file/{AED}", "name": "fast too"}]))
        summary = jobs.rate_dataset(dataset["id"])
        assert (summary["rated"], summary["errors"]) == (2, 1)
        errors = [r["tdpf_mr_error"] for r in shown(dataset["id"])["resources"]]
        assert errors == [None, "timeout", None]

    @pytest.mark.ckan_config("ckanext.tdpf.schema.rating.max_bytes", 100_000)
    def test_oversized_files_are_errors(self, tdpf_org, tdpf_sysadmin, files_server):
        """Refused from the declared length, and cut off when no length is declared."""
        tdpf_org()
        dataset = create(tdpf_sysadmin, **valid(resources=[
            {"url": f"{files_server.base}/file/tokyo-metro_jy26qv0700_age_population_2026.csv",
             "name": "declared"},
            {"url": f"{files_server.base}/endless", "name": "undeclared"},
            {"url": f"{files_server.base}/file/{LIBRARY}", "name": "small"}]))
        summary = jobs.rate_dataset(dataset["id"])
        assert (summary["rated"], summary["errors"]) == (1, 2)
        errors = [r["tdpf_mr_error"] for r in shown(dataset["id"])["resources"]]
        assert errors == ["too_large", "too_large", None]


class TestHostGate:
    """``HostGate.take``: which file a fetching thread starts next."""

    def test_a_busy_host_holds_no_thread(self):
        gate = HostGate(concurrency=1, interval_ms=0)
        pending = {"a": collections.deque([1, 2]), "b": collections.deque([3])}
        assert gate.take(pending) == (1, True)
        assert gate.take(pending) == (3, True)  # not a's second: a's one slot is taken
        gate.release("a")
        assert gate.take(pending) == (2, True)
        with pytest.raises(LookupError):
            gate.take(pending)

    def test_hosts_take_turns(self):
        gate = HostGate(concurrency=4, interval_ms=0)
        pending = {"a": collections.deque([1, 2, 3]), "b": collections.deque([4, 5, 6])}
        for host, item in (("a", 1), ("b", 4)):  # each host's first file proves it
            assert gate.take(pending) == (item, True)
            gate.release(host)
        assert [gate.take(pending)[0] for _ in range(4)] == [2, 5, 3, 6]

    def test_files_of_a_host_that_is_down_take_no_slot(self):
        gate = HostGate(concurrency=1, interval_ms=0)
        pending = {"a": collections.deque([1, 2, 3]), None: collections.deque([4])}
        assert gate.take(pending) == (1, True)
        gate.release("a", FetchError("unreachable", host_down=True))
        assert gate.take(pending) == (4, False)  # an upload: no host
        assert gate.take(pending) == (2, False)
        with pytest.raises(FetchError):
            gate.acquire("a")


@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", True)
@pytest.mark.usefixtures("clean_queues", "clean_rating_pending")
class TestBatchJobs:
    def run_worker(self, tmp_path, batch_size: int) -> str:
        ini = tmp_path / "worker.ini"
        ini.write_text("[app:main]\n"
                       f"use = config:{ROOT / 'test.ini'}\n"
                       f"ckan.plugins = {PLUGINS}\n"
                       f"ckanext.tdpf.schema.rating.batch_size = {batch_size}\n"
                       "ckanext.tdpf.schema.rating.allow_private_addresses = true\n")
        worker = subprocess.run(
            [str(pathlib.Path(sys.executable).with_name("ckan")), "-c", str(ini),
             "jobs", "worker", "--burst", "tdpf_bulk"],
            env=os.environ.copy(), capture_output=True, text=True, timeout=300)
        assert worker.returncode == 0, worker.stderr[-2000:]
        return worker.stderr

    def harvested(self, user, base: str, count: int) -> list[dict]:
        context = {"user": user["name"], provenance.CONTEXT_KEY: True}
        return [helpers.call_action("package_create", context=dict(context), **valid(
            name=f"harvested-{number}",
            resources=[{"url": f"{base}/file/{LIBRARY}"}, {"url": f"{base}/file/{AED}"}]))
            for number in range(count)]

    def test_one_job_rates_a_harvests_datasets(self, tdpf_org, tdpf_sysadmin, files_server,
                                               tmp_path):
        tdpf_org()
        datasets = self.harvested(tdpf_sysadmin, files_server.base, 6)
        queued = helpers.call_action("job_list", queues=["tdpf_bulk"])
        assert [job["title"] for job in queued] == [jobs.DRAIN_TITLE]
        log = self.run_worker(tmp_path, batch_size=100)
        assert len(re.findall(r"has finished job", log)) == 1, log[-3000:]
        model.Session.remove()
        assert model.Session.query(ResourceRating).filter(
            ResourceRating.error.is_(None)).count() == 12
        assert jobs.pending_count() == 0
        indexing.commit()  # (the job's documents become searchable within 10 s)
        # (both files are in former 推奨データセット layouts: stage 3, see test_jobs)
        found = helpers.call_action("package_search", fq="tdpf_data_rate:3", rows=10)
        assert found["count"] == 6, "rated and indexed"
        assert {d["id"] for d in found["results"]} == {d["id"] for d in datasets}

    def test_one_drain_job_waits_and_a_cleared_queue_gets_another(
            self, tdpf_org, tdpf_sysadmin, files_server, reset_queues):
        tdpf_org()
        self.harvested(tdpf_sysadmin, files_server.base, 2)
        assert len(helpers.call_action("job_list", queues=["tdpf_bulk"])) == 1
        reset_queues()  # ckan jobs clear: the waiting drain job is gone
        context = {"user": tdpf_sysadmin["name"], provenance.CONTEXT_KEY: True}
        helpers.call_action("package_create", context=context, **valid(name="later"))
        queued = helpers.call_action("job_list", queues=["tdpf_bulk"])
        assert [job["title"] for job in queued] == [jobs.DRAIN_TITLE]
        assert jobs.pending_count() == 3

    def test_a_long_list_is_drained_a_batch_per_job(self, tdpf_org, tdpf_sysadmin,
                                                    files_server, tmp_path):
        tdpf_org()
        self.harvested(tdpf_sysadmin, files_server.base, 5)
        log = self.run_worker(tmp_path, batch_size=2)
        assert len(re.findall(r"has finished job", log)) == 3, log[-3000:]
        model.Session.remove()
        assert model.Session.query(ResourceRating).count() == 10

    def test_a_batch_whose_worker_was_killed_is_rated_after_all(
            self, tdpf_org, tdpf_sysadmin, files_server, tmp_path, cli, reset_queues):
        """A drain job took the batch and its worker was killed before rating it (what is
        left: the claim, and no queued job). A fresh claim stays with its job; once it is
        older than claim_seconds, cron's rating-recover returns the datasets and queues a
        drain, and the worker rates them."""
        tdpf_org()
        ids = {d["id"] for d in self.harvested(tdpf_sysadmin, files_server.base, 3)}
        assert set(pending.take(100)) == ids  # the killed job's batch
        reset_queues()
        assert pending.take(100) == [] and pending.claimed_ids() == ids
        assert cli.invoke(tdpf_schema, ["rating-recover"]).output.startswith(
            "returned 0 dataset(s) of lost batches; 0 waiting")
        assert helpers.call_action("job_list", queues=["tdpf_bulk"]) == []
        claimed_at = time.time()
        assert pending.recover(now=claimed_at + 3599) == 0  # within claim_seconds: its job's
        assert pending.recover(now=claimed_at + 3601) == 3
        assert pending.claimed_ids() == set() and pending.waiting_ids() == ids

        assert set(pending.take(100)) == ids  # killed again; this time cron finds it
        with helpers.changed_config("ckanext.tdpf.schema.rating.claim_seconds", 0):
            result = cli.invoke(tdpf_schema, ["rating-recover"])
        assert result.output.strip() == (
            "returned 3 dataset(s) of lost batches; 3 waiting; a drain job is queued")
        assert [job["title"] for job in helpers.call_action(
            "job_list", queues=["tdpf_bulk"])] == [jobs.DRAIN_TITLE]
        self.run_worker(tmp_path, batch_size=100)
        model.Session.remove()
        assert model.Session.query(ResourceRating).filter(
            ResourceRating.error.is_(None)).count() == 6
        assert pending.waiting_ids() == set() and pending.claimed_ids() == set()

    def test_two_drains_never_take_the_same_datasets(self, tdpf_org, tdpf_sysadmin,
                                                     files_server):
        tdpf_org()
        ids = {d["id"] for d in self.harvested(tdpf_sysadmin, files_server.base, 5)}
        first, second = pending.take(3), pending.take(3)
        assert len(first) == 3 and len(second) == 2
        assert set(first) | set(second) == ids and not set(first) & set(second)
        pending.release(first)
        assert pending.claimed_ids() == set(second)


@RATING_OFF
class TestBulkCommand:
    @pytest.mark.parametrize("workers", ["1", "2"])
    def test_rescore_prints_its_progress(self, cli, tdpf_org, tdpf_sysadmin, files_server,
                                         workers):
        tdpf_org()
        for number in range(3):
            dataset_with(tdpf_sysadmin, files_server.base + "/file", LIBRARY,
                         "no-such-file.csv", name=f"d{number}")
        result = cli.invoke(tdpf_schema, ["rescore", "--all", "--batch-size", "1",
                                           "--workers", workers])
        assert result.exit_code == 0, result.output
        lines = [line for line in result.output.splitlines()
                 if re.match(r"\d+/\d+ datasets: ", line)]
        assert [line.split(" ", 1)[0] for line in lines] == ["1/3", "2/3", "3/3"]
        assert re.match(r"3/3 datasets: 3 rated, 0 unchanged, 3 errors; [\d.]+ resources/s$",
                        lines[-1]), lines[-1]
        assert ("datasets: 3, resources rated: 3, unchanged: 0, errors: 3"
                in result.output)
        again = cli.invoke(tdpf_schema, ["rescore", "--all", "--workers", workers])
        assert "1/1" not in again.output  # one batch of three (the default size)
        assert "3/3 datasets: 0 rated, 3 unchanged, 3 errors;" in again.output

    @pytest.mark.ckan_config("ckanext.tdpf.schema.rating.timeout", 1)
    def test_datasets_with_slow_files_are_dealt_out_to_the_batches(self, tdpf_org,
                                                                    tdpf_sysadmin,
                                                                    files_server):
        """A batch waits for its slow files a few at a time per host: gathered in one
        batch they would be waited for one after another, so each batch gets its share."""
        from ckanext.tdpf.schema.cli import _batches
        tdpf_org()
        slow = [create(tdpf_sysadmin, **valid(name=f"a-slow-{n}", resources=[
            {"url": f"{files_server.base}/slow/{AED}"}]))["id"] for n in range(2)]
        fast = [dataset_with(tdpf_sysadmin, files_server.base + "/file", LIBRARY,
                             name=f"b-fast-{n}")["id"] for n in range(2)]
        ids = slow + fast
        assert _batches(ids, 2) == [slow, fast]  # not known yet: in their order
        jobs.rate_datasets(ids)
        assert _batches(ids, 2) == [[slow[0], fast[0]], [slow[1], fast[1]]]
        assert _batches(ids, 3) == [[slow[0], fast[0], fast[1]], [slow[1]]]

    def test_queue_enqueues_batches(self, cli, tdpf_org, tdpf_sysadmin, clean_queues):
        tdpf_org()
        for number in range(5):
            create(tdpf_sysadmin, **valid(name=f"q{number}"))
        result = cli.invoke(tdpf_schema, ["rescore", "--all", "--queue", "--batch-size", "2"])
        assert "5 datasets queued in 3 jobs (tdpf_bulk)" in result.output
        assert len(helpers.call_action("job_list", queues=["tdpf_bulk"])) == 3


@RATING_OFF
class TestRatingStatus:
    def test_counts_of_an_organizations_public_datasets(self, app, cli, tdpf_org,
                                                         tdpf_sysadmin, files_server):
        tdpf_org()
        tdpf_org(name="t131130", title="渋谷区", municipality_code="131130")
        rated = dataset_with(tdpf_sysadmin, files_server.base + "/file", LIBRARY,
                             "missing.csv", name="rated")
        dataset_with(tdpf_sysadmin, files_server.base + "/file", AED, name="waiting")
        hidden = dataset_with(tdpf_sysadmin, files_server.base + "/file", AED, name="hidden",
                              private=True)
        elsewhere = dataset_with(tdpf_sysadmin, files_server.base + "/file", AED,
                                 name="elsewhere", owner_org="t131130")
        jobs.rate_datasets([rated["id"], hidden["id"], elsewhere["id"]])
        response = app.get("/api/3/action/tdpf_schema_rating_status",
                           query_string={"organization": "t131083"})
        assert response.status_code == 200
        status = response.json["result"]
        first, last = status.pop("checked_at").values()
        assert status == {"organization": "t131083", "resources": 3, "rated": 1,
                          "errors": 1, "pending": 1}
        assert first and last and first <= last
        missing = app.get("/api/3/action/tdpf_schema_rating_status",
                          query_string={"organization": "nowhere"})
        assert missing.status_code == 404
        refused = app.get("/api/3/action/tdpf_schema_rating_status")
        assert refused.status_code == 409
        table = cli.invoke(tdpf_schema, ["rating-status"])
        assert table.exit_code == 0, table.output
        rows = {line.split()[0]: line.split()[1:5] for line in table.stdout.splitlines()[1:]}
        assert rows == {"t131083": ["3", "1", "1", "1"], "t131130": ["1", "1", "0", "0"]}
        one = cli.invoke(tdpf_schema, ["rating-status", "--org", "t131130"])
        assert len(one.stdout.splitlines()) == 2

    @pytest.mark.parametrize("value", ["\x00", "x" * 100_000, ["t131083"], {"a": 1}, 7, "",
                                       None])
    def test_odd_values_are_refused_not_errors(self, app, tdpf_org, value):
        tdpf_org()
        response = app.post("/api/3/action/tdpf_schema_rating_status",
                            json={"organization": value}, status=None)
        assert response.status_code in (404, 409), response.get_data(as_text=True)
