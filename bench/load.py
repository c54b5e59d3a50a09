"""Load (SPEC §6, §7): gunicorn with the settings of ``docker/`` (``docker/wsgi.py``,
4 workers × 2 threads, 60 s timeout), 50 concurrent clients (wrk).

1. Against stock, same run, same database: the deployed TDPF plugin list and stock CKAN
   (core plugins only, on the stock Solr core the scale benchmark indexed from the same
   database) serve the same mix of the search page, dataset pages and the search and show
   API, in ABBA rounds of half the time each, both servers started once (the one not
   measured is idle): ``load_rps_ratio_vs_stock`` ≥ 0.9.
2. The TDPF mix with gated downloads of a shared dataset by a grantee added (stock has no
   gate): reported apart (``load_requests_per_s``, ``load_p95_ms`` …).

The TDPF side runs with its API rate limit on (limits set out of reach), so its cost is in
the numbers. It runs on the catalog the scale benchmark left in ``ckan_bench`` (40,000
datasets when run by ``make bench``), built first when it is not there (``ONLY=load``
alone). Errors (any connection error, timeout or HTTP status
≥ 400) over every round: target 0.
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
import urllib.request

from bench_site import ROOT, app_for, environment, publisher_and_grantee, settle, write_ini

HERE = pathlib.Path(__file__).resolve().parent
PLUGINS = (ROOT / "tools" / "plugins.txt").read_text().strip()
CLIENTS, PORTS = 50, {"tdpf": 5099, "stock": 5098}
SECONDS = int(os.environ.get("TDPF_BENCH_LOAD_SECONDS", "60"))
GUNICORN = str(pathlib.Path(sys.executable).with_name("gunicorn"))
STOCK_PLUGINS, STOCK_CORE = "", "ckan_bench_stock"  # what scale.py indexed for stock
# the limiter runs (its cost is measured) but no client reaches the limits
RATE_LIMITS = ("ckanext.tdpf.access.rate_limit.anonymous = 1000000000\n"
               "ckanext.tdpf.access.rate_limit.authenticated = 1000000000\n")


def _fixtures(ini: pathlib.Path) -> tuple[list[str], list[str]]:
    """A shared dataset with an uploaded file and a grantee; returns the request mix both
    sides serve, and the same with the grantee's downloads."""
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
    common, with_downloads = [], []
    for _ in range(100):
        name = generator.choice(names)
        term = urllib.parse.quote(generator.choice(["人口", "防災", "公園", "統計", "施設"]))
        lines = [f"/dataset/?q={term}\t",
                 f"/dataset/{name}\t",
                 f"/api/3/action/package_show?id={name}\t",
                 f"/api/3/action/package_search?q={term}&rows=20&facet.field="
                 f"{urllib.parse.quote(facets)}\t"]
        common += lines
        with_downloads += lines + [download]
    return common, with_downloads


def _serve(ini: pathlib.Path, solr_core: str, port: int) -> subprocess.Popen:
    env = dict(environment(solr_core), CKAN_INI=str(ini))
    server = subprocess.Popen(
        [GUNICORN, "--chdir", str(ROOT / "docker"), "wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "4", "--threads", "2", "--timeout", "60",
         "--max-requests", "2000", "--max-requests-jitter", "200"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(240):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer in 120 s")


def _wrk(mix_file: pathlib.Path, seconds: float, port: int) -> dict:
    result = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{max(1, round(seconds))}s",
         "--timeout", "30s", "-s", str(HERE / "load.lua"), f"http://127.0.0.1:{port}", "--",
         str(mix_file)], check=True, capture_output=True, text=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["errors"] = sum(v for k, v in report.items() if k.startswith("errors_"))
    return report


def _warm(mix: list[str], port: int) -> None:
    """Every kind of request answers before the clock starts."""
    for line in mix[:5]:
        path, _, token = line.partition("\t")
        result = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
             *(["-H", f"Authorization: {token}"] if token else []),
             f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True)
        if result.stdout != "200":
            raise RuntimeError(f"{path} answered {result.stdout}")


def _round(port: int, mix: list[str], mix_file: pathlib.Path, seconds: float) -> dict:
    _warm(mix, port)
    return _wrk(mix_file, seconds, port)


def _merge(reports: list[dict]) -> dict:
    """Rounds of one side together: throughput over all, the slower round's percentiles."""
    return {"requests": sum(r["requests"] for r in reports),
            "seconds": sum(r["seconds"] for r in reports),
            "errors": sum(r["errors"] for r in reports),
            **{key: max(r[key] for r in reports) for key in ("p50_ms", "p95_ms", "p99_ms")}}


def _side_metrics(side: str, report: dict) -> list[dict]:
    return [{"name": f"load_requests_per_s_{side}",
             "value": round(report["requests"] / report["seconds"], 1), "unit": "1/s",
             "target": None, "holds": None}] + [
        {"name": f"load_{key}_{side}", "value": report[key], "unit": "ms", "target": None,
         "holds": None} for key in ("p50_ms", "p95_ms", "p99_ms")]


def _catalog_ready() -> bool:
    """Whether ``scale`` left its catalog: datasets in ``ckan_bench``, every one of them in
    stock's Solr core too."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(environment()["CKAN_SQLALCHEMY_URL"])
        with engine.connect() as connection:
            datasets = connection.execute(sa.text(
                "select count(*) from package where type = 'dataset' and state = 'active'"
            )).scalar()
        engine.dispose()
        solr = environment(STOCK_CORE)["CKAN_SOLR_URL"]
        with urllib.request.urlopen(f"{solr}/select?q=*:*&rows=0&wt=json",
                                    timeout=30) as answer:
            indexed = json.load(answer)["response"]["numFound"]
    except Exception:  # noqa: BLE001 - no database or core yet
        return False
    return bool(datasets) and indexed == datasets


def measure() -> list[dict]:
    if not _catalog_ready():  # run alone (ONLY=load): the catalog scale builds first
        import scale
        print("  no catalog from the scale benchmark: building it (its largest step)",
              flush=True)
        scale.build()
    ini = write_ini(PLUGINS, RATE_LIMITS, clean=False)
    stock_ini = write_ini(STOCK_PLUGINS, clean=False, solr_core=STOCK_CORE)
    common, with_downloads = _fixtures(ini)
    common_file = ini.parent / "common.txt"  # (removed with the site at exit)
    full_file = ini.parent / "requests.txt"
    common_file.write_text("\n".join(common) + "\n")
    full_file.write_text("\n".join(with_downloads) + "\n")
    # Both sides' servers run from the start (the one not measured is idle), each round
    # against one of them.
    servers: list[subprocess.Popen] = []
    reports: dict[str, list[dict]] = {"tdpf": [], "stock": []}
    try:
        servers.append(_serve(ini, "ckan_bench", PORTS["tdpf"]))
        servers.append(_serve(stock_ini, STOCK_CORE, PORTS["stock"]))
        for side in ("tdpf", "stock", "stock", "tdpf"):  # ABBA
            settle()
            reports[side].append(_round(PORTS[side], common, common_file, SECONDS / 2))
        settle()
        full = _round(PORTS["tdpf"], with_downloads, full_file, SECONDS)
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    tdpf, stock = _merge(reports["tdpf"]), _merge(reports["stock"])
    ratio = (tdpf["requests"] / tdpf["seconds"]) / (stock["requests"] / stock["seconds"])
    errors = tdpf["errors"] + stock["errors"] + full["errors"]
    return [
        {"name": "load_clients", "value": CLIENTS, "unit": "clients", "target": None,
         "holds": None},
        *_side_metrics("tdpf", tdpf), *_side_metrics("stock", stock),
        {"name": "load_rps_ratio_vs_stock", "value": round(ratio, 3), "unit": "x",
         "target": 0.9, "holds": ratio >= 0.9},
        {"name": "load_requests_per_s", "value": round(full["requests"] / full["seconds"], 1),
         "unit": "1/s", "target": None, "holds": None},
        {"name": "load_p50_ms", "value": full["p50_ms"], "unit": "ms", "target": None,
         "holds": None},
        {"name": "load_p95_ms", "value": full["p95_ms"], "unit": "ms", "target": None,
         "holds": None},
        {"name": "load_p99_ms", "value": full["p99_ms"], "unit": "ms", "target": None,
         "holds": None},
        {"name": "load_errors", "value": errors, "unit": "requests", "target": 0,
         "holds": errors == 0},
    ]


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
