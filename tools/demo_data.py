"""Demo data for ``make run``: the recorded real Tokyo catalog records, harvested, and a
shared dataset to walk the shared-data journey with.

A local replay of the Tokyo catalog's CKAN API serves the records (``make run`` keeps one up
with ``--serve-replay``, so that a harvest started from the source's page reaches it); a
``tdpf_ckan`` harvest source points at it and ``ckan tdpf-harvest run`` harvests it, as cron
would. Re-running finds every record unchanged and writes nothing.

Shared data: 目黒区 (``t131105``, verified) publishes a shared, paid dataset with a real
municipal file; ``demo_provider`` is its editor and ``demo_user`` a registered user who can
request access. Their passwords are written to ``.dev/demo-passwords`` (made once).
"""
from __future__ import annotations

import argparse
import pathlib
import secrets
import socket
import subprocess
import sys
import threading

import ckanapi

from ckanext.tdpf.harvest.tests import replay

SOURCE = "tokyo-catalog-demo"
ROOT = pathlib.Path(__file__).resolve().parents[1]
DATAFILE = ROOT / "ckanext/tdpf/tests/data/datafiles/tokyo-shibuya_131130_public_toilet.csv"
SHARED = "meguro-shared-demo"
USERS = {"demo_provider": "目黒区のデータ担当（編集者）", "demo_user": "データ利用者"}


def passwords(path: pathlib.Path) -> dict[str, str]:
    """The demo users' passwords, made once."""
    if not path.exists():
        path.write_text("".join(f"{name} {secrets.token_urlsafe(12)}\n" for name in USERS))
        path.chmod(0o600)
    return dict(line.split(" ", 1) for line in path.read_text().split("\n") if line)


def shared_demo(site: ckanapi.RemoteCKAN, secrets_file: pathlib.Path) -> None:
    """A verified provider, its editor, a data user and a shared dataset with a file."""
    for name, password in passwords(secrets_file).items():
        try:
            site.action.user_show(id=name)
        except ckanapi.NotFound:
            site.action.user_create(name=name, fullname=USERS[name], password=password,
                                    email=f"{name}@example.invalid")
    try:
        org = site.action.organization_show(id="t131105")
    except ckanapi.NotFound:
        org = site.action.organization_create(name="t131105", title="目黒区",
                                              tdpf_provider_type="municipality",
                                              municipality_code="131105")
    if str(org.get("tdpf_verified")).lower() != "true":
        site.action.tdpf_access_org_verify(id="t131105")
    site.action.organization_member_create(id="t131105", username="demo_provider",
                                           role="editor")
    try:
        site.action.package_show(id=SHARED)
        return
    except ckanapi.NotFound:
        pass
    dataset = site.action.package_create(
        name=SHARED, title="目黒区 公衆トイレ利用実態調査（シェアードデータ・デモ）",
        notes="シェアードデータの利用申請から承認・ダウンロードまでを試すためのデモ用データセットです。",
        owner_org="t131105", tdpf_theme=["daily_life"], update_frequency="annual",
        tdpf_distribution="shared", license_id="tdpf-paid", tdpf_price_jpy=30000,
        tdpf_price_unit="per_year", tdpf_permitted_purposes=["research", "public_service"],
        tdpf_storage_location="japan", tdpf_personal_data="none", tdpf_warranty=True)
    with open(DATAFILE, "rb") as upload:
        site.action.resource_create(package_id=dataset["id"], name="調査結果（CSV）",
                                    upload=upload)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="the CKAN site")
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--config", required=True, help="the site's ckan.ini")
    parser.add_argument("--replay-port", type=int, default=8900)
    parser.add_argument("--log", help="where the harvest run's log goes (default: stderr)")
    parser.add_argument("--serve-replay", action="store_true",
                        help="only serve the replay, until stopped (make run keeps it up, so "
                             "that 再収集 on the demo source's page reaches it)")
    args = parser.parse_args()

    if args.serve_replay:
        replay.serve(replay.recorded_records(), port=args.replay_port)
        threading.Event().wait()  # (SIGTERM from make stop ends the process)
    server = None
    if not _answers(args.replay_port):  # not kept up by make run: served while loading
        server, _catalog = replay.serve(replay.recorded_records(), port=args.replay_port)
    catalog_url = f"http://127.0.0.1:{args.replay_port}/"
    try:
        token = pathlib.Path(args.token_file).read_text().strip()
        site = ckanapi.RemoteCKAN(args.url, apikey=token, user_agent="tdpf-demo-loader")
        try:
            site.action.harvest_source_show(id=SOURCE)
        except ckanapi.NotFound:
            site.action.harvest_source_create(
                name=SOURCE, title="東京都オープンデータカタログ（記録した実データ）",
                notes="東京都オープンデータカタログサイトの実データ200件（2021-12・2022-08に記録）を"
                      "ローカルで再生したものです。",
                url=catalog_url, source_type="tdpf_ckan", frequency="MANUAL", config="{}")
        ckan = pathlib.Path(sys.executable).with_name("ckan")
        log = open(args.log, "a") if args.log else None
        try:
            harvested = subprocess.run(
                [str(ckan), "-c", args.config, "tdpf-harvest", "run", SOURCE],
                check=False, stderr=log).returncode
        finally:
            if log:
                log.close()
        shared_demo(site, pathlib.Path(args.token_file).with_name("demo-passwords"))
        return harvested
    finally:
        if server is not None:
            server.shutdown()


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":
    sys.exit(main())
