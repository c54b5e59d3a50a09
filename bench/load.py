"""Load (SPEC §6, §7): CKAN with the TDPF plugins served by gunicorn with the settings of
``docker/`` (``docker/wsgi.py``, 4 workers × 2 threads, 60 s timeout), and 50 concurrent
clients for 60 s (wrk) mixing the search page, dataset pages, the search and show API and
gated downloads of a shared dataset by a user holding a grant.

It runs on the catalog the scale benchmark left in ``ckan_bench`` (40,000 datasets when
run by ``make bench``). Reported: throughput, p50/p95/p99 and errors (any connection
error, timeout or HTTP status ≥ 400), with a target of 0 errors.
"""
from __future__ import annotations

import datetime
import io
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

from bench_site import ROOT, app_for, environment, publisher_and_grantee, write_ini

HERE = pathlib.Path(__file__).resolve().parent
PLUGINS = (ROOT / "tools" / "plugins.txt").read_text().strip()
CLIENTS, PORT = 50, 5099
SECONDS = int(os.environ.get("TDPF_BENCH_LOAD_SECONDS", "60"))
GUNICORN = str(pathlib.Path(sys.executable).with_name("gunicorn"))


def _fixtures(ini: pathlib.Path) -> list[str]:
    """A shared dataset with an uploaded file and a grantee; returns the request mix."""
    from werkzeug.datastructures import FileStorage

    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckanext.tdpf.access.model import Grant

    app = app_for(ini)

    def call(action, caller, /, **data):
        return tk.get_action(action)({"user": caller, "ignore_auth": True}, data)

    with app.test_request_context():
        site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        user, token = publisher_and_grantee(call, site, "load-org", "load_user")
        shared = call("package_create", site, name="load-shared", title="負荷試験 利用条件付き",
                      owner_org="load-org", tdpf_theme=["other"], tdpf_distribution="shared",
                      license_id="tdpf-shared", tdpf_permitted_purposes=["research"],
                      tdpf_storage_location="japan", tdpf_warranty=True)
        resource = call("resource_create", site, package_id=shared["id"], name="data", url="",
                        upload=FileStorage(io.BytesIO("区,人口\r\n港区,260000\r\n".encode()),
                                           filename="data.csv"))
        far = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
        model.Session.add(Grant(package_id=shared["id"], user_id=user["id"], valid_until=far,
                                terms_version="load", granted_by=site))
        model.Session.commit()
        names = [row.name for row in model.Session.query(model.Package.name)
                 .filter(model.Package.type == "dataset", model.Package.state == "active",
                         model.Package.private.is_(False)).limit(2000)]
        model.Session.remove()
    generator = random.Random(5)
    download = f"/dataset/load-shared/resource/{resource['id']}/download/data.csv\t{token}"
    facets = json.dumps(["tdpf_theme", "tdpf_license_tier", "organization", "res_format"])
    mix = []
    for _ in range(100):
        name = generator.choice(names)
        term = urllib.parse.quote(generator.choice(["人口", "防災", "公園", "統計", "施設"]))
        mix += [f"/dataset/?q={term}\t",
                f"/dataset/{name}\t",
                f"/api/3/action/package_show?id={name}\t",
                f"/api/3/action/package_search?q={term}&rows=20&facet.field="
                f"{urllib.parse.quote(facets)}\t",
                download]
    return mix


def _serve(ini: pathlib.Path) -> subprocess.Popen:
    env = dict(environment(), CKAN_INI=str(ini))
    server = subprocess.Popen(
        [GUNICORN, "--chdir", str(ROOT / "docker"), "wsgi:application",
         "--bind", f"127.0.0.1:{PORT}", "--workers", "4", "--threads", "2", "--timeout", "60",
         "--max-requests", "2000", "--max-requests-jitter", "200"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(240):
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer in 120 s")


def measure() -> list[dict]:
    ini = write_ini(PLUGINS, clean=False)
    mix = _fixtures(ini)
    requests_file = ini.parent / "requests.txt"  # (removed with the site at exit)
    requests_file.write_text("\n".join(mix) + "\n")
    server = _serve(ini)
    try:
        for line in mix[:5]:  # every kind of request answers before the clock starts
            path, _, token = line.partition("\t")
            result = subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                 *(["-H", f"Authorization: {token}"] if token else []),
                 f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True)
            if result.stdout != "200":
                raise RuntimeError(f"{path} answered {result.stdout}")
        result = subprocess.run(
            ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{SECONDS}s", "--timeout", "30s",
             "-s", str(HERE / "load.lua"), f"http://127.0.0.1:{PORT}", "--",
             str(requests_file)], check=True, capture_output=True, text=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    errors = sum(value for key, value in report.items() if key.startswith("errors_"))
    return [
        {"name": "load_clients", "value": CLIENTS, "unit": "clients", "target": None,
         "holds": None},
        {"name": "load_requests_per_s", "value": round(report["requests"] / report["seconds"], 1),
         "unit": "1/s", "target": None, "holds": None},
        {"name": "load_p50_ms", "value": report["p50_ms"], "unit": "ms", "target": None,
         "holds": None},
        {"name": "load_p95_ms", "value": report["p95_ms"], "unit": "ms", "target": None,
         "holds": None},
        {"name": "load_p99_ms", "value": report["p99_ms"], "unit": "ms", "target": None,
         "holds": None},
        {"name": "load_errors", "value": errors, "unit": "requests", "target": 0,
         "holds": errors == 0},
    ]


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
