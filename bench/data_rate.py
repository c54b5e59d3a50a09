"""Data-rate scoring throughput on the real municipal files (SPEC §7).

Reports files/s and MB/s of ``rating.rate`` (format sniffing, encoding detection, parsing
and every rule) over the fixture files, repeated until at least ``--seconds`` have passed,
and the slowest file's seconds per MB of input (each file's best of its rounds), with a
target of at most 1 s per MB for every file.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import time

from ckanext.tdpf.lib.rating import rate

DATAFILES = pathlib.Path(__file__).resolve().parents[1] / "ckanext/tdpf/tests/data/datafiles"


def measure(seconds: float) -> list[dict]:
    paths = [p for p in sorted(DATAFILES.iterdir()) if p.suffix != ".md"]
    files = [p.read_bytes() for p in paths]
    for content in files:  # warm-up: imports, caches
        rate(content)
    best = [float("inf")] * len(files)
    done = size = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for index, content in enumerate(files):
            one = time.perf_counter()
            rate(content)
            best[index] = min(best[index], time.perf_counter() - one)
            done += 1
            size += len(content)
    elapsed = time.perf_counter() - started
    per_mb = {path.name: best[i] / (len(files[i]) / 1e6) for i, path in enumerate(paths)}
    slowest = max(per_mb, key=per_mb.get)
    print(f"  slowest: {slowest} {per_mb[slowest]:.2f} s/MB", flush=True)
    return [
        {"name": "data_rate_slowest_s_per_mb", "value": round(per_mb[slowest], 3),
         "unit": "s/MB", "target": 1.0, "holds": per_mb[slowest] <= 1.0},
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
