"""Load the recorded real Tokyo catalog records into a running CKAN as demo data.

Goes through the action API with the admin's token, like any API client, and maps records
with the harvester's mapping. Organizations keep the Tokyo catalog's names (``t`` +
municipality code); datasets keep their names, so a re-run skips what is already there.
Unreadable records (the sample holds a real 0-byte response) are reported and skipped.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

import ckanapi

from ckanext.tdpf.harvest.mapping import dataset_from_remote, organization_from_remote

DATA = pathlib.Path(__file__).resolve().parent.parent / "ckanext/tdpf/tests/data/tokyo-catalog"


def read_records(folder: pathlib.Path):
    for path in sorted(folder.glob("*.json")):
        try:
            yield path.name, json.loads(path.read_text(encoding="utf-8"))["result"]
        except (ValueError, KeyError) as error:
            yield path.name, error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--data", default=str(DATA / "package_show"))
    args = parser.parse_args()

    token = pathlib.Path(args.token_file).read_text().strip()
    ckan = ckanapi.RemoteCKAN(args.url, apikey=token, user_agent="tdpf-demo-loader")
    existing = set(ckan.action.package_list())
    organizations = set(ckan.action.organization_list())
    records = list(read_records(pathlib.Path(args.data)))
    added = skipped = failed = 0
    for number, (filename, record) in enumerate(records, 1):
        if isinstance(record, Exception):
            failed += 1
            print(f"  [{number}/{len(records)}] {filename}: unreadable record ({record})")
            continue
        if record["name"] in existing:
            skipped += 1
            continue
        org = organization_from_remote(record["organization"])
        if org["name"] not in organizations:
            ckan.action.organization_create(**org)
            organizations.add(org["name"])
        try:
            ckan.action.package_create(**dataset_from_remote(
                record, name=record["name"], owner_org=org["name"]))
            added += 1
        except ckanapi.ValidationError as error:
            failed += 1
            print(f"  [{number}/{len(records)}] {record['name']}: {error.error_dict}")
        if number % 20 == 0 or number == len(records):
            print(f"  demo data: {number}/{len(records)} records", flush=True)
    print(f"demo data: {added} added, {skipped} already there, {failed} skipped as invalid")
    return 0 if added + skipped > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
