"""Demo data for ``make run``: the recorded real Tokyo catalog records, harvested.

A local replay of the Tokyo catalog's CKAN API serves the records; a ``tdpf_ckan`` harvest
source points at it and ``ckan tdpf-harvest run`` harvests it, as cron would. Re-running
finds every record unchanged and writes nothing.
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

import ckanapi

from ckanext.tdpf.harvest.tests import replay

SOURCE = "tokyo-catalog-demo"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="the CKAN site")
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--config", required=True, help="the site's ckan.ini")
    parser.add_argument("--replay-port", type=int, default=8900)
    parser.add_argument("--log", help="where the harvest run's log goes (default: stderr)")
    args = parser.parse_args()

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
            return subprocess.run([str(ckan), "-c", args.config, "tdpf-harvest", "run", SOURCE],
                                  check=False, stderr=log).returncode
        finally:
            if log:
                log.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
