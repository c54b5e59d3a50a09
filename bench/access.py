"""Entitlement check on a gated download (SPEC §7), for grantees holding 0, 100 and 10,000
other grants, measured against the same download of an open dataset: judged as ratios of the
same rounds (gated p95 / open p95 at 10k grants ≤ 1.2; gated p95 at 10k / at 0 grants ≤ 1.1,
flat), with the milliseconds the check adds as context.

Each round downloads an uploaded file of a shared dataset as each of the three grantees
(checked, recorded as usage) and the same file of an open dataset (no check), one after
another, through CKAN's WSGI app in this process: HTTP and Solr noise do not enter the
difference, and a busier moment of the machine falls on all four alike (measured one grant
count after another, the flat ratio moved between 0.72 and 1.17 from run to run).
"""
from __future__ import annotations

import datetime
import io
import os
import random
import time
import uuid

from bench_site import build, environment, percentile, publisher_and_grantee, settle

PLUGINS = "tdpf_schema tdpf_access scheming_datasets scheming_organizations"
# a p95 of 1,000 downloads a side (the difference of two p95s is noisy); QUICK=1: 300
ROUNDS = int(os.environ.get("TDPF_BENCH_ACCESS_ROUNDS", "1000"))


def _dataset(call, admin, name: str, shared: bool) -> tuple[str, str]:
    from werkzeug.datastructures import FileStorage

    fields = {"name": name, "title": name, "owner_org": "bench-org", "tdpf_theme": ["other"]}
    if shared:
        fields.update(tdpf_distribution="shared", license_id="tdpf-shared",
                      tdpf_permitted_purposes=["research"], tdpf_storage_location="japan",
                      tdpf_warranty=True)
    dataset = call("package_create", admin, **fields)
    resource = call("resource_create", admin, package_id=dataset["id"], name="data", url="",
                    upload=FileStorage(io.BytesIO(b"a,b\r\n1,2\r\n"), filename="data.csv"))
    return dataset["id"], f"/dataset/{name}/resource/{resource['id']}/download/data.csv"


def measure() -> list[dict]:
    app = build(PLUGINS)
    client = app.test_client()
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckanext.tdpf.access.model import Grant

    def call(action, caller, /, **data):
        return tk.get_action(action)({"user": caller, "ignore_auth": True}, data)

    far = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365)
    with app.test_request_context():
        site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        user, token = publisher_and_grantee(call, site, "bench-org", "bench_user")
        shared_id, shared_path = _dataset(call, site, "bench-shared", True)
        _open_id, open_path = _dataset(call, site, "bench-open", False)
        model.Session.remove()

    # one grantee per grant count: a grant of the shared dataset, and that many grants of
    # other datasets
    counts = (0, 100, 10_000)
    tokens = {}
    since = far - datetime.timedelta(days=400)
    for count in counts:
        with app.test_request_context():
            grantee = user if count == 0 else call(
                "user_create", site, name=f"bench_user_{count}",
                email=f"bench_user_{count}@example.invalid", password="bench-password-123")
            tokens[count] = token if count == 0 else call(
                "api_token_create", grantee["name"], user=grantee["name"],
                name="bench")["token"]
            model.Session.add(Grant(package_id=shared_id, user_id=grantee["id"],
                                    valid_until=far, terms_version="bench", granted_by=site))
            rows = [{"id": str(uuid.uuid4()), "package_id": str(uuid.uuid4()),
                     "user_id": grantee["id"], "valid_from": since, "valid_until": far,
                     "terms_version": "bench", "granted_by": site, "revoke_reason": "",
                     "created": far} for _ in range(count)]
            if rows:
                model.Session.execute(Grant.__table__.insert(), rows)
            model.Session.commit()
            model.Session.remove()
    settle(environment()["CKAN_SQLALCHEMY_URL"])  # the grants analyzed, the machine quiet
    downloads = [(count, shared_path, {"Authorization": tokens[count]}) for count in counts]
    downloads.append(("open", open_path, {"Authorization": tokens[0]}))
    for _ in range(20):  # warm-up
        for _key, path, headers in downloads:
            client.get(path, headers=headers)
    timings: dict = {key: [] for key, _path, _headers in downloads}
    order = random.Random(2026)
    for _ in range(ROUNDS):
        # each round in an order of its own: no download always comes first, or after the
        # same one
        for key, path, headers in order.sample(downloads, len(downloads)):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            timings[key].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, key, response.status_code)
    opened = percentile(timings["open"], 0.95)
    results = {count: (percentile(timings[count], 0.95), opened) for count in counts}
    gated = results[10_000][0]
    ratio, flat = gated / opened, gated / results[0][0]
    return [
        {"name": f"download_check_p95_ms_{label}_grants",
         "value": round(max(0.0, results[count][0] - results[count][1]), 2), "unit": "ms",
         "target": None, "holds": None}
        for count, label in ((0, "0"), (100, "100"), (10_000, "10k"))
    ] + [
        {"name": "download_gated_p95_ms_10k_grants", "value": round(gated, 2), "unit": "ms",
         "target": None, "holds": None},
        {"name": "download_open_p95_ms", "value": round(opened, 2), "unit": "ms",
         "target": None, "holds": None},
        {"name": "download_check_p95_ratio_10k_grants", "value": round(ratio, 3), "unit": "x",
         "target": 1.2, "holds": ratio <= 1.2},
        {"name": "download_check_flat_ratio_10k_vs_0_grants", "value": round(flat, 3),
         "unit": "x", "target": 1.1, "holds": flat <= 1.1},
    ]


if __name__ == "__main__":
    import json
    print(json.dumps(measure(), indent=1))
