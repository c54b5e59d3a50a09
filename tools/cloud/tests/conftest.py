"""The cloud-mode stack seen from outside: its proxy, each web process, each Solr node, the
database, the processes' logs, and ``cloud-ctl`` to stop and start any one of them."""
from __future__ import annotations

import copy
import dataclasses
import datetime
import json
import os
import pathlib
import re
import subprocess
import time
import urllib.parse
import uuid
from typing import Any, Callable, Iterator

import psycopg2
import pytest
import redis
import requests

from ckanext.tdpf.harvest.tests import replay

ROOT = pathlib.Path(__file__).resolve().parents[3]
CLOUD = ROOT / ".dev" / "cloud"
RECORDS = replay.recorded_records()


def fresh(records: list[dict]) -> list[dict]:
    """Copies of recorded records that no other test's source holds: new ids, names,
    titles and file URLs. (A record with the same files, or the same organization and
    title, as another source's dataset is merged into that dataset: README "Harvesting
    catalogs".)"""
    tag = uuid.uuid4().hex[:8]
    copies = []
    for number, original in enumerate(records):
        record = copy.deepcopy(original)
        record["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{original['id']}/{tag}/{number}"))
        record["name"] = f"{original['name']}-{tag}-{number}"
        record["title"] = f"{original['title']} ({tag})"
        for resource in record.get("resources", []):
            resource["id"] = str(uuid.uuid4())
            parts = urllib.parse.urlsplit(resource.get("url") or "")
            resource["url"] = urllib.parse.urlunsplit(
                parts._replace(path=f"/{tag}{parts.path or '/'}"))
        copies.append(record)
    return copies
WAIT = 900  # seconds: a deadline for waiting on the stack, never a measured expectation


def wait_until(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(1)


class ApiError(AssertionError):
    def __init__(self, status: int, error: Any):
        super().__init__(f"{status}: {error}")
        self.status, self.error = status, error


@dataclasses.dataclass
class Cloud:
    proxy: str
    webs: list[str]
    solr_nodes: list[str]
    token: str
    database: str
    redis: Any = None

    def action(self, name: str, /, base: str | None = None, token: str | None = "admin",
               **data: Any) -> Any:
        headers = {}
        if token:
            headers["Authorization"] = self.token if token == "admin" else token
        files = data.pop("_files", None)
        if files:
            response = requests.post(f"{base or self.proxy}/api/3/action/{name}", data=data,
                                     files=files, headers=headers, timeout=120)
        else:
            response = requests.post(f"{base or self.proxy}/api/3/action/{name}", json=data,
                                     headers=headers, timeout=120)
        try:
            body = response.json()
        except ValueError:
            raise ApiError(response.status_code, response.text[:500])
        if not body.get("success"):
            raise ApiError(response.status_code, body.get("error"))
        return body["result"]

    def ctl(self, action: str, name: str) -> None:
        subprocess.run([str(ROOT / "tools/stack.sh"), "cloud-ctl", action, name], check=True,
                       stdout=subprocess.DEVNULL, timeout=300)

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with psycopg2.connect(self.database) as connection, connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def solr_ids(self, node: str, fq: str) -> list[str]:
        """Dataset ids in one node's replica alone (distrib=false), after a commit."""
        response = requests.get(f"{node}/solr/ckan/select", timeout=60, params={
            "q": "*:*", "fq": fq, "fl": "id", "rows": 100000, "distrib": "false",
            "wt": "json"})
        response.raise_for_status()
        return [doc["id"] for doc in response.json()["response"]["docs"]]

    def solr_commit(self) -> None:
        requests.get(f"{self.solr_nodes[0]}/solr/ckan/update", params={"commit": "true"},
                     timeout=120).raise_for_status()

    def replicas_active(self) -> bool:
        status = requests.get(f"{self.solr_nodes[0]}/solr/admin/collections", timeout=30,
                              params={"action": "CLUSTERSTATUS", "collection": "ckan"}).json()
        replicas = status["cluster"]["collections"]["ckan"]["shards"]["shard1"]["replicas"]
        return (len(replicas) == len(self.solr_nodes)
                and all(r["state"] == "active" for r in replicas.values())
                and set(status["cluster"]["live_nodes"]) == {
                    urllib.parse.urlsplit(n).netloc + "_solr" for n in self.solr_nodes})

    def leader_node(self) -> int:
        """Index (0, 1) of the node holding the shard's leader."""
        status = requests.get(f"{self.solr_nodes[0]}/solr/admin/collections", timeout=30,
                              params={"action": "CLUSTERSTATUS", "collection": "ckan"}).json()
        replicas = status["cluster"]["collections"]["ckan"]["shards"]["shard1"]["replicas"]
        leader = next(r for r in replicas.values() if r.get("leader") == "true")
        return [urllib.parse.urlsplit(n).netloc + "_solr" for n in self.solr_nodes].index(
            leader["node_name"])

    # --- harvest -------------------------------------------------------------------------
    def harvest_source(self, url: str, name: str | None = None) -> dict:
        name = name or f"cloud-{uuid.uuid4().hex[:10]}"
        return self.action("harvest_source_create", name=name, title=name, url=url,
                           source_type="tdpf_ckan",
                           config=json.dumps({"timeout": 10, "retries": 2, "delay": 0}))

    def run_cron(self) -> None:
        """What cron does every 15 minutes: finish done jobs, resubmit stale queue items."""
        self.action("harvest_jobs_run")

    def fetch_queue(self) -> int:
        return self.redis.llen("ckanext-harvest:tdpf-cloud:harvest_object_id")

    def jobs_idle(self, job_ids: list[str]) -> bool:
        """Gathered, and no object of the jobs waiting or being fetched or imported."""
        rows = self.sql("select count(*) filter (where gather_finished is null), "
                        "(select count(*) from harvest_object where harvest_job_id = any(%s) "
                        " and state not in ('COMPLETE', 'ERROR')) "
                        "from harvest_job where id = any(%s)", job_ids, job_ids)
        return rows[0] == (0, 0) and self.fetch_queue() == 0

    def drained(self, job_ids: list[str]) -> bool:
        """Gathered, nothing waiting in the fetch queue or in the database."""
        rows = self.sql("select count(*) filter (where gather_finished is null), "
                        "(select count(*) from harvest_object where harvest_job_id = any(%s) "
                        " and state = 'WAITING') "
                        "from harvest_job where id = any(%s)", job_ids, job_ids)
        return rows[0] == (0, 0) and self.fetch_queue() == 0

    def age_claim(self, object_id: str, seconds: int) -> bool:
        """Make a consumer's claim on an object look `seconds` old, as if that much time had
        passed since it took the object (harvest_jobs_run resends claims older than 180 s)."""
        key = f"ckanext-harvest:tdpf-cloud:harvest_object_id:{object_id}"
        if not self.redis.exists(key):
            return False
        taken = datetime.datetime.now() - datetime.timedelta(seconds=seconds)
        self.redis.set(key, taken.strftime("%Y-%m-%d %H:%M:%S.%f"))
        return True

    def resend_orphans(self, job_ids: list[str]) -> list[str]:
        """Objects left in FETCH/IMPORT by a consumer that died: once the queue is drained
        and they have stayed so while the live consumers had time to finish theirs, their
        claims are made stale and cron resends them. Returns their ids."""
        wait_until(lambda: self.drained(job_ids), f"harvest jobs {job_ids} to drain")
        orphans: list[str] = []
        while True:
            stuck = {row[0] for row in self.sql(
                "select id from harvest_object where harvest_job_id = any(%s) "
                "and state in ('FETCH', 'IMPORT')", job_ids)}
            if not stuck:
                return orphans
            time.sleep(15)
            still = {row[0] for row in self.sql(
                "select id from harvest_object where id = any(%s) "
                "and state in ('FETCH', 'IMPORT')", list(stuck))}
            aged = [object_id for object_id in still if self.age_claim(object_id, 181)]
            if aged:
                orphans += aged
                self.run_cron()
                wait_until(lambda: self.drained(job_ids), "resent objects to be taken")

    def finish(self, *job_ids: str) -> list[dict]:
        """Wait until the jobs are done, then run cron once to mark them finished.

        Cron is run only when the jobs are idle: ckanext-harvest's harvest_jobs_run resends
        every WAITING object that is not in the Redis list, which includes the objects a
        gather has stored but not yet queued (README "Scale-out", known issues)."""
        job_ids = list(job_ids)
        wait_until(lambda: self.jobs_idle(job_ids), f"harvest jobs {job_ids} to drain")
        self.run_cron()
        jobs = [self.action("harvest_job_show", id=job_id) for job_id in job_ids]
        assert [job["status"] for job in jobs] == ["Finished"] * len(jobs)
        return jobs

    def job_objects(self, job_id: str) -> list[tuple]:
        return self.sql("select id, guid, state, report_status, package_id, current "
                        "from harvest_object where harvest_job_id = %s", job_id)

    def fetch_log_ids(self) -> dict[str, set[str]]:
        """Harvest object ids each fetch consumer received (from its log)."""
        taken = {}
        for name in ("fetch1", "fetch2"):
            text = (CLOUD / "logs" / f"{name}.log").read_text(errors="replace")
            taken[name] = set(re.findall(r"Received harvest object id: ([0-9a-f-]{36})", text))
        return taken

    def assert_exactly_once(self, source_id: str, records: list[dict]) -> list[str]:
        """Every record is one active dataset of the source, searchable once on every Solr
        replica; none is missing, none doubled, none created twice. Returns dataset ids."""
        guids = sorted(record["id"] for record in records)
        current = self.sql(
            "select o.guid, o.package_id from harvest_object o join package p "
            "on p.id = o.package_id where o.harvest_source_id = %s and o.current "
            "and p.state = 'active'", source_id)
        assert sorted(guid for guid, _ in current) == guids, "a record is missing or doubled"
        package_ids = [package_id for _, package_id in current]
        assert len(set(package_ids)) == len(guids)
        # created once: one "new package" activity each, and no dataset the source's
        # objects ever pointed at beyond those (a second create would leave one)
        pointed = self.sql("select count(distinct package_id) from harvest_object "
                           "where harvest_source_id = %s and package_id is not null",
                           source_id)[0][0]
        assert pointed == len(guids)
        created = dict(self.sql(
            "select object_id, count(*) from activity where activity_type = 'new package' "
            "and object_id = any(%s) group by object_id", package_ids))
        assert sorted(created.values()) == [1] * len(guids)
        self.solr_commit()
        for node in self.solr_nodes:
            found = self.solr_ids(node, f'harvest_source_id:"{source_id}"')
            assert sorted(found) == sorted(package_ids), f"{node}: index differs"
        return package_ids


@pytest.fixture(scope="session")
def cloud() -> Cloud:
    env = os.environ
    proxy = env.get("CKAN_SITE_URL", "http://127.0.0.1:5100")
    webs = [f"http://127.0.0.1:{port}"
            for port in env.get("TDPF_CLOUD_WEB_PORTS", "5101 5102").split()]
    nodes = [f"http://127.0.0.1:{port}"
             for port in env.get("TDPF_CLOUD_SOLR_PORTS", "8990 8991").split()]
    database = env.get("CKAN_SQLALCHEMY_URL",
                       "postgresql://ckan_default@127.0.0.1:5432/ckan_cloud")
    token = (CLOUD / "admin-token").read_text().strip()
    stack = Cloud(proxy, webs, nodes, token, database,
                  redis.Redis.from_url(env.get("CKAN_REDIS_URL", "redis://127.0.0.1:6379/11")))
    try:
        stack.action("status_show")
    except requests.ConnectionError:
        pytest.exit("the cloud-mode stack is not running: tools/stack.sh cloud-up", 3)
    return stack


@pytest.fixture
def catalog() -> Iterator[Callable[[list[dict]], str]]:
    """Local replays of the recorded Tokyo catalog (one server per call: one source each)."""
    servers = []

    def serve(records: list[dict]) -> str:
        server, _catalog = replay.serve(records)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()


@pytest.fixture
def organization(cloud) -> dict:
    name = f"cloud-org-{uuid.uuid4().hex[:8]}"
    return cloud.action("organization_create", name=name, title=f"クラウド試験 {name[-8:]}",
                        tdpf_provider_type="public_agency")


def in_days(days: int) -> str:
    return (datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(days=days)).isoformat()
