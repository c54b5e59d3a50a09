"""The key flows on the cloud-mode stack: every request goes through the proxy to either of
two web processes, the index is a SolrCloud collection with a replica on each node, and
the queues are served by two job workers and two harvest fetch consumers."""
from __future__ import annotations

import collections
import random
import re
import string
import uuid

import requests

from .conftest import CLOUD, RECORDS, ROOT, fresh, in_days, wait_until

DATAFILES = ROOT / "ckanext/tdpf/tests/data/datafiles"


def dataset_fields(organization: dict, **fields) -> dict:
    data = {"name": f"cloud-{uuid.uuid4().hex[:12]}", "owner_org": organization["name"],
            "title": "クラウド構成の試験データ", "tdpf_theme": ["daily_life"],
            "update_frequency": "annual", "tdpf_distribution": "open", "license_id": "CC-BY-4.0",
            "tdpf_personal_data": "none", "tdpf_warranty": True}
    data.update(fields)
    return data


def test_create_and_search_through_either_web_process(cloud, organization):
    """A dataset made through the proxy is found by every web process (one index), and
    both web processes answer the proxy."""
    word = "".join(random.choice(string.ascii_lowercase) for _ in range(14))
    dataset = cloud.action("package_create", **dataset_fields(organization, notes=word))
    for base in [cloud.proxy, *cloud.webs]:
        found = cloud.action("package_search", base=base, q=word)
        assert [d["id"] for d in found["results"]] == [dataset["id"]], base
    upstreams = {requests.get(f"{cloud.proxy}/api/3/action/status_show", timeout=30)
                 .headers["X-TDPF-Upstream"] for _ in range(6)}
    assert upstreams == {w.removeprefix("http://") for w in cloud.webs}
    cloud.solr_commit()
    for node in cloud.solr_nodes:  # on each replica
        assert cloud.solr_ids(node, f'id:"{dataset["id"]}"') == [dataset["id"]]


def test_harvest_with_two_fetch_consumers_imports_every_record_once(cloud, catalog):
    records = fresh(RECORDS[:120])
    source = cloud.harvest_source(catalog(records))
    before = cloud.fetch_log_ids()
    job = cloud.action("harvest_job_create", source_id=source["id"])
    (finished,) = cloud.finish(job["id"])
    assert finished["stats"]["errored"] == 0
    objects = cloud.job_objects(job["id"])
    assert sorted(o[1] for o in objects) == sorted(r["id"] for r in records)
    assert {o[2] for o in objects} == {"COMPLETE"}
    cloud.assert_exactly_once(source["id"], records)
    # both consumers took objects, and no object was handed out twice
    after = cloud.fetch_log_ids()
    ids = {o[0] for o in objects}
    taken = {name: (after[name] - before[name]) & ids for name in after}
    assert all(taken.values()), {name: len(v) for name, v in taken.items()}
    assert not taken["fetch1"] & taken["fetch2"]
    assert taken["fetch1"] | taken["fetch2"] == ids


def worker_jobs() -> dict[str, set[str]]:
    jobs = {}
    for name in ("worker1", "worker2"):
        text = (CLOUD / "logs" / f"{name}.log").read_text(errors="replace")
        jobs[name] = set(re.findall(r"starts job ([0-9a-f-]{36})", text))
    return jobs


def test_rating_with_two_workers(cloud, organization):
    """Files uploaded through the proxy are rated by the two job workers; every file gets
    a data rate once, from the shared storage."""
    files = sorted(p for p in DATAFILES.iterdir() if p.suffix == ".csv")[:8]
    before = worker_jobs()
    for path in files:
        dataset = cloud.action("package_create", **dataset_fields(organization))
        with open(path, "rb") as upload:
            cloud.action("resource_create", package_id=dataset["id"], name=path.stem,
                         _files={"upload": (path.name, upload)})
    status = wait_until(
        lambda: (lambda s: s if s["pending"] == 0 and s["rated"] + s["errors"] == len(files)
                 else None)(cloud.action("tdpf_schema_rating_status",
                                         organization=organization["name"])),
        "the uploads to be rated")
    assert status["resources"] == len(files)
    assert status["rated"] == len(files), status
    after = worker_jobs()
    assert all(after[name] - before[name] for name in after), "a worker took no job"


def test_gated_download_of_a_shared_file_through_either_web_process(cloud, organization):
    """A shared dataset's upload (stored once, on the shared storage) is served to a grantee
    by both web processes and by the proxy, and refused to everyone else."""
    cloud.action("tdpf_access_org_verify", id=organization["name"])
    content = f"code,value\r\n{uuid.uuid4().hex},1\r\n".encode()
    dataset = cloud.action("package_create", **dataset_fields(
        organization, tdpf_distribution="shared", license_id="tdpf-paid", tdpf_price_jpy=1000,
        tdpf_price_unit="per_year", tdpf_permitted_purposes=["research"],
        tdpf_storage_location="japan"))
    resource = cloud.action("resource_create", package_id=dataset["id"], name="共有ファイル",
                            _files={"upload": ("shared.csv", content)})
    users = {}
    for role in ("grantee", "stranger"):
        name = f"cloud_{role}_{uuid.uuid4().hex[:8]}"
        cloud.action("user_create", name=name, email=f"{name}@example.invalid",
                     password=uuid.uuid4().hex)
        users[role] = cloud.action("api_token_create", user=name, name="cloud")["token"]
    request = cloud.action("tdpf_access_request_create", token=users["grantee"],
                           package_id=dataset["id"], purpose="research", user_type="company",
                           purpose_text="クラウド構成の試験", pledge_no_other_purpose=True,
                           pledge_no_personal_linking=True)
    cloud.action("tdpf_access_request_decide", id=request["id"], decision="approve",
                 expires=in_days(30))
    url = cloud.action("resource_show", token=users["grantee"], id=resource["id"])["url"]
    path = url.split("/dataset/", 1)[1]
    statuses = collections.Counter()
    for base in [cloud.proxy, *cloud.webs]:
        granted = requests.get(f"{base}/dataset/{path}", timeout=60,
                               headers={"Authorization": users["grantee"]})
        assert granted.status_code == 200, base
        assert granted.content == content
        refused = requests.get(f"{base}/dataset/{path}", timeout=60,
                               headers={"Authorization": users["stranger"]})
        statuses[refused.status_code] += 1
        assert content not in refused.content
    assert set(statuses) == {403}
    usage = cloud.action("tdpf_access_usage_list", package_id=dataset["id"])
    assert len(usage if isinstance(usage, list) else usage["results"]) == 3
