"""Coordinates read, checked against the municipality's point, and fixed where certain."""
from __future__ import annotations

import csv
import pathlib

import pytest

from ckanext.tdpf.lib import address, coordinates
from ckanext.tdpf.lib.coordinates import check_point, fix_point, parse

DATAFILES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "datafiles"
SHIBUYA_OFFICE = (35.66388, 139.69777)  # near the list's point of 渋谷区


def _codes(findings) -> list[str]:
    return [finding.code for finding in findings]


class TestParse:
    @pytest.mark.parametrize("text, degrees", [
        ("35.658", 35.658),
        ("  139.7016 ", 139.7016),
        ("３５．６５８", 35.658),
        ("N35.658", 35.658),
        ("35.658°", 35.658),
        ("-33.86", -33.86),
        ("35°39'29.1\"N", 35 + 39 / 60 + 29.1 / 3600),
        ("35°39′29.1″", 35 + 39 / 60 + 29.1 / 3600),
        ("N35°39'29.1\"", 35 + 39 / 60 + 29.1 / 3600),
        ("139°41'12\"E", 139 + 41 / 60 + 12 / 3600),
        ("北緯35度39分29.1秒", 35 + 39 / 60 + 29.1 / 3600),
        ("東経139度41分12秒", 139 + 41 / 60 + 12 / 3600),
        ("35度39分29秒", 35 + 39 / 60 + 29 / 3600),
        ("35°39.485'", 35 + 39.485 / 60),
        ("35:39:29.1", 35 + 39 / 60 + 29.1 / 3600),
        ("139.41.12", 139 + 41 / 60 + 12 / 3600),
        ("139.41.12.5", 139 + 41 / 60 + 12.5 / 3600),
        ("33°51'S", -(33 + 51 / 60)),
    ])
    def test_degrees(self, text, degrees):
        assert parse(text) == pytest.approx(degrees, abs=1e-9)

    @pytest.mark.parametrize("text", [
        "", " ", "abc", "35.6.", "35°70'", "35°39'75\"", "1e5", "nan", "inf", "-",
        "東京都渋谷区", "35,658", "35°39.5'10\"", None, "9" * 100])
    def test_not_a_coordinate(self, text):
        assert parse(text) is None


class TestCheckPoint:
    def test_plausible_point(self):
        assert check_point(*SHIBUYA_OFFICE, "131130") == []

    def test_swapped(self):
        lat, lon = SHIBUYA_OFFICE
        assert _codes(check_point(lon, lat, "131130")) == ["looks_swapped"]

    @pytest.mark.parametrize("lat, lon", [
        (0, 0), (35.66, -139.70), (-35.66, 139.70), (37.5665, 126.978),  # Seoul
        (33.5, 126.5),  # Jeju
        (43.115, 131.885),  # Vladivostok
        (40.7128, -74.006)])
    def test_outside_japan(self, lat, lon):
        assert _codes(check_point(lat, lon, None)) == ["outside_japan"]
        assert _codes(check_point(lat, lon, "131130")) == ["outside_japan"]

    @pytest.mark.parametrize("lat, lon, code", [
        (24.2867, 153.9807, "134210"),  # 南鳥島, 小笠原村
        (20.4256, 136.0811, "134210"),  # 沖ノ鳥島, 小笠原村
        (26.64, 142.16, "134210"),  # 母島
        (25.7464, 123.4744, "472077"),  # 魚釣島, 石垣市
        (24.0585, 123.7863, "473812"),  # 波照間島, 竹富町 (office in 石垣市)
        (29.96, 129.92, "463043"),  # 口之島, 十島村 (office in 鹿児島市)
        (45.0, 147.9, None),  # 択捉島
        (34.0833, 139.5283, "133817"),  # 三宅島, 三宅村
        (33.1, 139.79, "134015"),  # 八丈島, 八丈町
    ])
    def test_islands_far_from_tokyo_and_the_office_are_plausible(self, lat, lon, code):
        assert check_point(lat, lon, code) == []

    def test_tokyo_islands_checked_against_their_municipality_not_tokyo(self):
        mikurajima = (33.8966, 139.5985)  # 御蔵島, 200 km from 東京都庁
        assert check_point(*mikurajima, "130001") == []  # the prefecture: any of its own
        assert check_point(*mikurajima, "133825") == []  # 御蔵島村
        far = check_point(*mikurajima, "133612")  # 大島町: 90 km away
        assert _codes(far) == ["far"]
        assert far[0].params["municipality"] == "大島町"

    def test_far_from_a_special_ward(self):
        shinjuku_gyoen = (35.6852, 139.7100)  # 新宿区, 3 km from 渋谷区's point
        hachioji = (35.6558, 139.3389)
        assert check_point(*shinjuku_gyoen, "131130") == []
        findings = check_point(*hachioji, "131130")
        assert _codes(findings) == ["far"]
        assert findings[0].params["limit"] == coordinates.SPECIAL_WARD_KM
        assert 30 < findings[0].params["distance"] < 36

    def test_a_city_allows_more_than_a_ward(self):
        # 高尾山 is 14 km from 八王子市's office and 33 km from 渋谷区's
        takao = (35.6251, 139.2436)
        assert check_point(*takao, "132012") == []
        assert _codes(check_point(*takao, "131130")) == ["far"]

    def test_designated_city_and_its_ward(self):
        minato_mirai = (35.4575, 139.6325)  # 横浜市西区
        assert check_point(*minato_mirai, "141003") == []  # 横浜市
        assert check_point(*minato_mirai, "141038") == []  # 西区
        assert _codes(check_point(*minato_mirai, "011011")) == ["far"]  # 札幌市中央区

    def test_far_from_the_town_of_the_address(self):
        sasazuka = (35.6749635, 139.6634906)  # 渋谷区笹塚二丁目, 3.5 km west of 神南
        assert check_point(*sasazuka, "131130", "笹塚二丁目") == []
        findings = check_point(*sasazuka, "131130", "神南一丁目")
        assert _codes(findings) == ["far_from_town"]
        assert findings[0].params["limit"] == coordinates.CHOME_KM
        assert 3 < findings[0].params["distance"] < 4
        # the town as written (千駄ヶ谷) is found under the registry's spelling (千駄ケ谷)
        assert _codes(check_point(*sasazuka, "131130", "千駄ヶ谷一丁目")) == ["far_from_town"]

    def test_a_large_town_allows_more(self):
        # 瑞穂町大字箱根ケ崎: its point and one 4 km away are both plausible
        assert check_point(35.7787, 139.3420, "133035", "大字箱根ケ崎") == []
        assert check_point(35.7787, 139.2980, "133035", "大字箱根ケ崎") == []
        assert _codes(check_point(35.7787, 139.2300, "133035", "大字箱根ケ崎")) == [
            "far_from_town"]

    def test_town_unknown_or_outside_tokyo_is_not_checked(self):
        sasazuka = (35.6749635, 139.6634906)
        assert check_point(*sasazuka, "131130", "存在しない町") == []
        assert check_point(*sasazuka, "131130", "") == []
        assert check_point(35.7226, 139.9280, "122033", "国府台一丁目") == []  # 市川市: no list

    def test_far_from_its_municipality_is_one_finding_not_two(self):
        hachioji = (35.6558, 139.3389)
        assert _codes(check_point(*hachioji, "131130", "神南一丁目")) == ["far"]

    def test_unknown_municipality_checks_japan_only(self):
        assert check_point(*SHIBUYA_OFFICE, None) == []
        assert check_point(*SHIBUYA_OFFICE, "999999") == []
        assert check_point(*SHIBUYA_OFFICE, "") == []

    def test_every_municipality_office_is_plausible_for_itself(self):
        for code, place in coordinates._places().items():
            assert check_point(place.lat, place.lon, code) == [], place.name

    def test_every_tokyo_town_point_is_plausible_for_its_municipality(self):
        """The limits by kind hold for all of Tokyo: each town's point (羽田空港 and 若洲
        on reclaimed land, 奥多摩's 大字, the islands) is within its municipality's."""
        checked = 0
        for code, towns in address._town_rows().items():
            for name, lat, lon in towns.values():
                if lat is None:
                    continue
                assert check_point(lat, lon, code, name) == [], name
                checked += 1
        assert checked > 5000

    def test_not_numbers(self):
        assert _codes(check_point("x", 139.7, "131130")) == ["unreadable"]
        assert _codes(check_point(float("nan"), 139.7, None)) == ["unreadable"]


class TestFixPoint:
    def test_plausible_point_is_left_as_written(self):
        assert fix_point("35.666788", "139.709628", "131130") == ("35.666788", "139.709628", [])

    def test_empty_is_no_finding(self):
        assert fix_point("", "", "131130") == ("", "", [])
        assert fix_point(None, None, None) == ("", "", [])

    def test_only_one_given(self):
        lat, lon, findings = fix_point("35.66", "", "131130")
        assert (lat, lon, _codes(findings)) == ("35.66", "", ["incomplete"])

    def test_swapped_back(self):
        lat, lon, findings = fix_point("139.709628", "35.666788", "131130")
        assert (lat, lon) == ("35.666788", "139.709628")
        assert _codes(findings) == ["swapped"]

    def test_dms_converted_to_six_decimals(self):
        lat, lon, findings = fix_point("35°39'29.1\"N", "139°41'12\"E", "131130")
        assert (lat, lon) == ("35.658083", "139.686667")
        assert _codes(findings) == ["dms"]  # one finding for the point
        assert findings[0].params == {"before": "35°39'29.1\"N, 139°41'12\"E",
                                      "after": "35.658083, 139.686667"}

    def test_dms_swapped(self):
        lat, lon, findings = fix_point("東経139度41分12秒", "北緯35度39分29.1秒", "131130")
        assert (lat, lon) == ("35.658083", "139.686667")
        assert sorted(_codes(findings)) == ["dms", "swapped"]

    def test_full_width(self):
        lat, lon, findings = fix_point("３５．６６６７８８", "１３９．７０９６２８", "131130")
        assert (lat, lon, _codes(findings)) == ("35.666788", "139.709628", ["cleaned"])

    def test_far_is_reported_not_changed(self):
        lat, lon, findings = fix_point("35.6558", "139.3389", "131130")
        assert (lat, lon, _codes(findings)) == ("35.6558", "139.3389", ["far"])

    def test_outside_japan_is_reported_not_changed(self):
        assert fix_point("0", "0", "131130") == ("0", "0", [
            coordinates._finding("outside_japan", lat=0.0, lon=0.0)])

    def test_unreadable_left_as_written(self):
        lat, lon, findings = fix_point("不明", "139.7", "131130")
        assert (lat, lon, _codes(findings)) == ("不明", "139.7", ["unreadable"])

    @pytest.mark.parametrize("lat, lon", [
        ("9" * 400, "139.7"), ("1e400", "1e400"), (35.66, 139.7), (None, "139.7"),
        ("35°", "139°"), ("-", "-"), ("35.66", "139.70.99"), ("\x00", "東京都"),
        ("35.66", "0x8b"), ("45°59'59.99\"", "153°59'59.99\"")])
    def test_garbage_never_raises(self, lat, lon):
        new_lat, new_lon, findings = fix_point(lat, lon, "131130", "神南一丁目")
        assert isinstance(new_lat, str) and isinstance(new_lon, str)
        assert all(f.code in coordinates.MESSAGES for f in findings)

    def test_messages_are_msgids_the_same_for_every_point(self):
        one = fix_point("139.7", "35.66", "131130")[2][0]
        two = fix_point("139.71", "35.67", "131130")[2][0]
        assert one.message == two.message == coordinates.MESSAGES["swapped"]
        assert one.params != two.params

    def test_bilingual_detail(self):
        finding = fix_point("35.6558", "139.3389", "131130")[2][0]
        assert finding.bilingual.endswith(
            "latitude 35.6558, longitude 139.3389 is 32.5 km from 渋谷区's office "
            "(more than 15 km)")


class TestGeocoded:
    def test_texts_and_the_finding(self):
        lat, lon, findings = coordinates.geocoded(
            "東京都渋谷区宇田川町1-1", (35.66388, 139.69777), "131130", "宇田川町")
        assert (lat, lon, _codes(findings)) == ("35.663880", "139.697770", ["geocoded"])
        assert findings[0].params == {"address": "東京都渋谷区宇田川町1-1",
                                      "lat": "35.663880", "lon": "139.697770"}

    def test_a_geocoder_point_is_checked_like_any_other(self):
        # a same-named town elsewhere: 八王子市's point for a 渋谷区 address
        lat, lon, findings = coordinates.geocoded(
            "東京都渋谷区本町1-1", (35.6558, 139.3389), "131130", "本町一丁目")
        assert _codes(findings) == ["geocoded", "far"]


class TestFixtureFiles:
    """Every point of the real files is plausible for its municipality (the furthest is
    9.4 km, in Yaizu) and, in Tokyo, its town (the furthest is 1.1 km, on 新砂's reclaimed
    land)."""

    @pytest.mark.parametrize("name, encoding, code, count", [
        ("tokyo-shibuya_131130_public_toilet.csv", "utf-8", "131130", 82),
        ("tokyo-koto_131083_public_toilet.TRANSCODED.csv", "utf-8", "131083", 191),
        ("chiba-ichikawa_122033_108_aed.csv", "cp932", "122033", 191),
        ("shizuoka-yaizu_222127_aed.csv", "utf-8", "222127", 82),
    ])
    def test_plausible(self, name, encoding, code, count):
        with (DATAFILES / name).open(encoding=encoding, newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert len(rows) == count
        for row in rows:
            town = address.normalize(row.get("住所") or row["所在地_連結表記"]).town
            assert check_point(float(row["緯度"]), float(row["経度"]), code, town) == [], row
            assert fix_point(row["緯度"], row["経度"], code, town) == (
                row["緯度"], row["経度"], [])
            # and swapped, each is found and put back
            lat, lon, findings = fix_point(row["経度"], row["緯度"], code)
            assert (lat, lon, _codes(findings)) == (row["緯度"], row["経度"], ["swapped"])

    def test_kobe_shelters_plausible_for_their_ward(self):
        with (DATAFILES / "hyogo-kobe_201706okunaihinanjo.csv").open(
                encoding="cp932", newline="") as stream:
            rows = [row for row in list(csv.reader(stream))[2:] if row[5]]
        assert len(rows) == 335
        spaced = []
        for row in rows:
            found = address.normalize(row[5])
            lat, lon, findings = fix_point(row[7], row[8], found.lgcode, found.town)
            assert (lat, lon) == (row[7].strip(), row[8].strip())
            if findings:
                spaced.append(row[5])
                assert _codes(findings) == ["cleaned"]  # a trailing space, nothing else
        assert spaced == ["神戸市垂水区塩屋町5-3-1", "神戸市西区井吹台北町2-18"]

    @pytest.mark.parametrize("name, count", [("kagawa-takamatsu_public_toilet.xlsx", 169),
                                             ("kagawa-takamatsu_aed_location.xlsx", 450)])
    def test_takamatsu(self, name, count):
        import openpyxl

        book = openpyxl.load_workbook(DATAFILES / name, read_only=True)
        rows = [["" if v is None else str(v) for v in row]
                for row in book.worksheets[0].iter_rows(values_only=True)]
        rows = [dict(zip(rows[0], row)) for row in rows[1:]]
        assert len(rows) == count
        for row in rows:
            found = address.normalize(row["address"], "372013")
            assert fix_point(row["latitude"], row["longitude"], found.lgcode, found.town) == (
                row["latitude"], row["longitude"], []), row
