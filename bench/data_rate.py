"""Data-rate scoring throughput on the real municipal files (SPEC §7).

Reports files/s and MB/s of ``rating.rate`` (format sniffing, encoding detection, parsing
and every rule) over the fixture files, repeated until at least ``--seconds`` have passed.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import time

from ckanext.tdpf.schema.rating import rate

DATAFILES = pathlib.Path(__file__).resolve().parents[1] / "ckanext/tdpf/tests/data/datafiles"


def measure(seconds: float) -> list[dict]:
    files = [p.read_bytes() for p in sorted(DATAFILES.iterdir()) if p.suffix != ".md"]
    for content in files:  # warm-up: imports, caches
        rate(content)
    done = size = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for content in files:
            rate(content)
            done += 1
            size += len(content)
    elapsed = time.perf_counter() - started
    return [
        {"name": "data_rate_mb_per_s", "value": round(size / elapsed / 1e6, 3),
         "unit": "MB/s", "target": None, "holds": None},
        {"name": "data_rate_files_per_s", "value": round(done / elapsed, 1),
         "unit": "files/s", "target": None, "holds": None},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    print(json.dumps(measure(parser.parse_args().seconds), indent=1))


if __name__ == "__main__":
    main()
