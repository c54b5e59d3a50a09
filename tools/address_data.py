"""Make ckanext/tdpf/lib/data/{gun,tokyo-towns}.csv from a checkout of
geolonia/japanese-addresses (CC BY 4.0; its data come from 国土交通省「位置参照情報」).

    python tools/address_data.py PATH_TO_japanese-addresses

gun.csv: every 町 and 村 with its 郡 (prefecture, 郡, name), which the national municipality
list leaves out. tokyo-towns.csv: every 町字 of Tokyo's 62 municipalities with its
representative point (全国地方公共団体コード, 町字, latitude, longitude).
"""
from __future__ import annotations

import csv
import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from ckanext.tdpf.lib import municipalities  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[1] / "ckanext" / "tdpf" / "lib" / "data"


def main(source: pathlib.Path) -> None:
    cities = json.loads((source / "api" / "ja.json").read_text(encoding="utf-8"))
    with (DATA / "gun.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["prefecture", "gun", "name"])
        for prefecture, names in cities.items():
            for name in names:
                match = re.match(r"^(.+?郡)(.+[町村])$", name)
                if match:
                    writer.writerow([prefecture, match.group(1), match.group(2)])
    codes = {(m.prefecture, m.name.replace(" ", "")): code
             for code, m in municipalities.registry().items()}
    with (DATA / "tokyo-towns.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["lgcode", "town", "lat", "lng"])
        for name in cities["東京都"]:
            short = re.sub(r"^.+?郡", "", name)
            code = codes.get(("東京都", short))
            if code is None:
                raise SystemExit(f"no code for 東京都{name}")
            towns = json.loads((source / "api" / "ja" / "東京都" / f"{name}.json")
                               .read_text(encoding="utf-8"))
            seen = set()
            for town in sorted(towns, key=lambda t: (t["town"], t["koaza"] != "")):
                if town["town"] in seen:
                    continue
                seen.add(town["town"])
                writer.writerow([code, town["town"], town["lat"], town["lng"]])


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
