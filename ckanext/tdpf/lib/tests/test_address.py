"""Addresses normalized offline: the standard's parts, the city's code, nothing lost."""
from __future__ import annotations

import csv
import pathlib
import re
import unicodedata

import pytest

from ckanext.tdpf.lib import address, municipalities
from ckanext.tdpf.lib.address import normalize

DATAFILES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "datafiles"


def _rows(name: str, encoding: str = "utf-8") -> list[dict[str, str]]:
    with (DATAFILES / name).open(encoding=encoding, newline="") as stream:
        return list(csv.DictReader(stream))


def _parts(text: str, default: str | None = None) -> tuple[str, ...]:
    found = normalize(text, default)
    assert found is not None, text
    return (found.prefecture, found.city, found.town, found.rest, found.building,
            found.lgcode)


def _digits(text: str) -> list[str]:
    """The numbers of an address, 丁目 read back from kanji: none may be lost."""
    text = re.sub(r"([〇一二三四五六七八九十百千]+)丁目",
                  lambda m: f"{address.from_kanji(m.group(1))}丁目", text)
    return re.findall(r"\d+", unicodedata.normalize("NFKC", text))


class TestSplit:
    @pytest.mark.parametrize("text, expected", [
        ("東京都渋谷区神南一丁目19番8号",
         ("東京都", "渋谷区", "神南一丁目", "19-8", "", "131130")),
        ("東京都渋谷区神南1-19-8", ("東京都", "渋谷区", "神南一丁目", "19-8", "", "131130")),
        ("東京都渋谷区神南１丁目１９番８号", ("東京都", "渋谷区", "神南一丁目", "19-8", "", "131130")),
        ("東京都渋谷区神南一丁目十九番八号",
         ("東京都", "渋谷区", "神南一丁目", "19-8", "", "131130")),
        ("東京都 渋谷区 神南 1丁目 19番 8号",
         ("東京都", "渋谷区", "神南一丁目", "19-8", "", "131130")),
        ("神奈川県横浜市中区山下町1", ("神奈川県", "横浜市中区", "山下町", "1", "", "141046")),
        ("横浜市 中区 日本大通1", ("神奈川県", "横浜市中区", "日本大通", "1", "", "141046")),
        ("北海道札幌市中央区北1条西2丁目1番地",
         ("北海道", "札幌市中央区", "北一条西二丁目", "1", "", "011011")),
        ("東京都西多摩郡瑞穂町大字箱根ケ崎2335番地",
         ("東京都", "西多摩郡瑞穂町", "大字箱根ケ崎", "2335", "", "133035")),
        # the 郡 is added when the address leaves it out
        ("東京都瑞穂町箱根ケ崎2335", ("東京都", "西多摩郡瑞穂町", "箱根ケ崎", "2335", "", "133035")),
        ("北海道虻田郡倶知安町北1条東1丁目",
         ("北海道", "虻田郡倶知安町", "北一条東一丁目", "", "", "014001")),
        ("熊本県球磨郡湯前町1989-1", ("熊本県", "球磨郡湯前町", "", "1989-1", "", "435066")),
        ("愛知県西春日井郡豊山町大字豊場字新栄260",
         ("愛知県", "西春日井郡豊山町", "大字豊場字新栄", "260", "", "233421")),
        ("福島県郡山市朝日1-23-7", ("福島県", "郡山市", "朝日一丁目", "23-7", "", "072036")),
        ("東京都大島町元町1-1-14", ("東京都", "大島町", "元町一丁目", "1-14", "", "133612")),
        ("東京都小笠原村父島字西町", ("東京都", "小笠原村", "父島字西町", "", "", "134210")),
        ("〒150-8010 東京都渋谷区宇田川町1-1",
         ("東京都", "渋谷区", "宇田川町", "1-1", "", "131130")),
        ("東京都千代田区九段南1丁目2番1号",
         ("東京都", "千代田区", "九段南一丁目", "2-1", "", "131016")),
        ("東京都板橋区大山東町1番地の2", ("東京都", "板橋区", "大山東町", "1-2", "", "131199")),
        ("東京都板橋区大山東町1の2", ("東京都", "板橋区", "大山東町", "1-2", "", "131199")),
        ("東京都北区十条仲原1-2-3", ("東京都", "北区", "十条仲原一丁目", "2-3", "", "131172")),
        ("東京都足立区千住二十三丁目1番", ("東京都", "足立区", "千住二十三丁目", "1", "", "131211")),
    ])
    def test_parts(self, text, expected):
        assert _parts(text) == expected

    @pytest.mark.parametrize("text, town", [
        ("東京都千代田区一番町10", "一番町"),
        ("東京都千代田区二番町3-5", "二番町"),
        ("東京都千代田区六番町6番地", "六番町"),
        ("東京都新宿区四谷1-2-3", "四谷一丁目"),
        ("東京都港区六本木6-10-1", "六本木六丁目"),
        ("東京都八王子市元本郷町三丁目24番1号", "元本郷町三丁目"),
        ("東京都三鷹市野崎一丁目1番1号", "野崎一丁目"),
        ("東京都新宿区百人町2-4-5", "百人町二丁目"),
        ("東京都千代田区内神田1-1-1", "内神田一丁目"),
        ("東京都葛飾区立石1-2-3", "立石一丁目"),
        ("東京都港区麻布十番1-4-1", "麻布十番一丁目"),
        ("東京都港区麻布十番", "麻布十番"),
        ("東京都千代田区九段北1-1-1", "九段北一丁目"),
        ("東京都中央区八丁堀3-1-1", "八丁堀三丁目"),
        ("東京都渋谷区千駄ヶ谷1-35-6", "千駄ケ谷一丁目"),  # the registry's ケ
        ("静岡県焼津市三ケ名1550", "三ケ名"),
        ("静岡県焼津市五ヶ堀之内2", "五ヶ堀之内"),
    ])
    def test_kanji_numerals_that_are_not_chome_stay(self, text, town):
        assert normalize(text).town == town
        assert normalize(text).city in text

    @pytest.mark.parametrize("text, town, rest", [
        # a-b: Tokyo's town list says whether the town has that 丁目
        ("東京都江東区石島18-23", "石島", "18-23"),
        ("東京都渋谷区渋谷2-23", "渋谷二丁目", "23"),
        ("東京都渋谷区初台1-51", "初台一丁目", "51"),
        ("東京都渋谷区鶯谷町7-21", "鶯谷町", "7-21"),
        ("渋谷2", "渋谷", "2"),
        # elsewhere it cannot be told without a town list, and is kept as written
        ("千葉県市川市本行徳12-10", "本行徳", "12-10"),
        ("神奈川県横浜市中区山下町1-2", "山下町", "1-2"),
        # a dangling dash says a number is missing: a-b- is a 丁目
        ("東京都江東区古石場2-13ー先", "古石場二丁目", "13先"),
        ("東京都江東区大島9-10ー", "大島九丁目", "10"),
        ("東京都江東区深川1-3-10先", "深川一丁目", "3-10先"),
        ("東京都江戸川区西葛西６丁目２３番地先", "西葛西六丁目", "23番地先"),
        # a large first number is a 番地, not a 丁目
        ("千葉県市川市高谷2023-10", "高谷", "2023-10"),
        ("千葉県市川市北方町4丁目1444-59", "北方町四丁目", "1444-59"),
        ("千葉県市川市南八幡4丁目2-5-201", "南八幡四丁目", "2-5-201"),
    ])
    def test_numbers_after_the_town(self, text, town, rest):
        found = normalize(text)
        assert (found.town, found.rest) == (town, rest)

    @pytest.mark.parametrize("text, town", [
        ("東京都渋谷区千駄ヶ谷5-17-4", "千駄ケ谷五丁目"),
        ("東京都渋谷区富ヶ谷1-54-1", "富ケ谷一丁目"),
        ("東京都新宿区霞ケ丘町10", "霞ヶ丘町"),
        ("東京都千代田区霞ヶ関1-1-1", "霞が関一丁目"),
        ("東京都港区虎の門1-1-1", "虎ノ門一丁目"),
        ("東京都西多摩郡瑞穂町大字殿ヶ谷100", "大字殿ケ谷"),
        ("東京都西多摩郡瑞穂町殿ヶ谷100", "殿ケ谷"),  # 大字 as written
        ("静岡県焼津市五ヶ堀之内2", "五ヶ堀之内"),  # no town list: as written
    ])
    def test_ke_ga_no_spelled_as_the_registry_spells_them(self, text, town):
        assert normalize(text).town == town

    @pytest.mark.parametrize("dash", ["-", "‐", "‑", "‒", "–", "—", "―", "−", "－", "ー", "ｰ", "─"])
    def test_dashes(self, dash):
        found = normalize(f"東京都渋谷区神南1{dash}19{dash}8")
        assert (found.town, found.rest) == ("神南一丁目", "19-8")

    def test_building_is_split_off_and_joined_with_a_full_width_space(self):
        found = normalize("渋谷区神南１丁目１９番８号　渋谷ビル１階")
        assert found.building == "渋谷ビル1階"
        assert found.text == "東京都渋谷区神南一丁目19-8\u3000渋谷ビル1階"

    @pytest.mark.parametrize("text, rest, building", [
        ("東京都渋谷区神南1-19-8-101号室", "19-8", "101号室"),
        ("東京都渋谷区神南一丁目19番8号101号室", "19-8", "101号室"),
        ("東京都渋谷区神南1-19-8-3F", "19-8", "3F"),
        ("東京都渋谷区神南1-19-8 3階", "19-8", "3階"),
        ("東京都渋谷区神南1-19-8(区役所内)", "19-8", "(区役所内)"),
        ("東京都渋谷区神南1-19-8、渋谷ビル", "19-8", "渋谷ビル"),
    ])
    def test_room_and_floor_go_with_the_building(self, text, rest, building):
        found = normalize(text)
        assert (found.rest, found.building) == (rest, building)

    def test_building_written_right_after_the_number(self):
        found = normalize("東京都港区六本木6-10-1六本木ヒルズ森タワー")
        assert (found.rest, found.building) == ("10-1", "六本木ヒルズ森タワー")

    def test_half_width_kana_in_a_building_becomes_full_width_with_long_vowels(self):
        found = normalize("千葉県市川市市川南1丁目1-1 I-LINKﾀｳﾝいちかわｻﾞ･ﾀﾜ-ｽﾞｲ-ｽﾄ3階")
        assert found.building == "I-LINKタウンいちかわザ・タワーズイースト3階"

    def test_text_is_the_parts_joined(self):
        found = normalize("東京都港区六本木6-10-1 六本木ヒルズ森タワー")
        assert found.text == "東京都港区六本木六丁目10-1\u3000六本木ヒルズ森タワー"


class TestEveryTokyoTown:
    def test_every_town_of_the_registry_comes_back_as_itself(self):
        """Each of Tokyo's ~5,300 towns, written after its city with a 番地, with a-b and
        alone, is found as the registry spells it, with the city's code."""
        cities = {code: (entry.name) for code, entry in municipalities.registry().items()}
        towns = address._town_rows()
        checked = 0
        for code, by_key in towns.items():
            city = address._with_gun(address._City(code, "東京都", cities[code], None)).name
            names = {name for name, _, _ in by_key.values()}
            for name, _, _ in by_key.values():
                if name.endswith("地先"):  # 青海二丁目地先: not a town one writes
                    continue
                cases = ["100番地", ""]
                if name + "一丁目" not in names:  # a town being renumbered: ambiguous
                    cases.append("1-2")
                for suffix in cases:
                    text = f"東京都{city}{name}{suffix}"
                    found = normalize(text)
                    assert (found.lgcode, found.town) == (code, name), text
                    checked += 1
        assert checked > 15000


class TestEveryMunicipality:
    def test_every_municipality_of_the_national_list_is_found(self):
        """All ~1,900 municipalities and 政令市 wards: written with prefecture and 郡, without
        the 郡, in their own file without prefecture, and with nothing but the town."""
        checked = 0
        for code, entry in municipalities.registry().items():
            if municipalities.is_prefecture(code):
                continue
            plain = entry.name.replace(" ", "")
            name = address._with_gun(address._City(code, entry.prefecture, plain, None)).name
            for text, default in [(f"{entry.prefecture}{name}試験町1-2-3", None),
                                  (f"{entry.prefecture}{plain}試験町1-2-3", None),
                                  (f"{name}試験町1-2-3", code), ("試験町1-2-3", code)]:
                found = normalize(text, default)
                assert (found.prefecture, found.city, found.lgcode, found.town) == (
                    entry.prefecture, name, code, "試験町一丁目"), text
                checked += 1
        assert checked > 7000


class TestDefaultMunicipality:
    @pytest.mark.parametrize("text, default, expected", [
        # 町田市's toilets (132098_public_toilet.csv): the town only
        ("西成瀬6-6-14", "132098", ("町田市", "西成瀬六丁目", "6-14", "")),
        ("相原町4303-3", "132098", ("町田市", "相原町", "4303-3", "")),
        # 台東区's toilets: full width, 前 ("in front of") kept with the 番地
        ("台東区上野公園１０－１７前", "131067", ("台東区", "上野公園", "10-17前", "")),
        ("谷中７－２－２７前", "131067", ("台東区", "谷中七丁目", "2-27前", "")),
        ("花川戸２－１（言問橋）", "131067", ("台東区", "花川戸二丁目", "1", "(言問橋)")),
        # 札幌市中央区's shelters: 条 and 丁目 in kanji
        ("南12条西7丁目2-1", "011011", ("札幌市中央区", "南十二条西七丁目", "2-1", "")),
        ("宮の森4条11丁目4-1", "011011", ("札幌市中央区", "宮の森四条十一丁目", "4-1", "")),
    ])
    def test_real_addresses_written_without_prefecture(self, text, default, expected):
        found = normalize(text, default)
        assert (found.city, found.town, found.rest, found.building) == expected
        assert found.lgcode == default

    def test_address_without_prefecture_and_city_is_completed(self):
        assert _parts("神南1-19-8", "131130") == (
            "東京都", "渋谷区", "神南一丁目", "19-8", "", "131130")

    def test_city_without_prefecture(self):
        assert _parts("渋谷区神南1-19-8") == ("東京都", "渋谷区", "神南一丁目", "19-8", "", "131130")

    def test_ward_without_its_designated_city(self):
        assert _parts("中区山下町1", "141003")[1:] == ("横浜市中区", "山下町", "1", "", "141046")

    def test_the_text_wins_over_the_default(self):
        assert _parts("東京都新宿区西新宿2-8-1", "131130")[1] == "新宿区"
        assert _parts("新宿区西新宿2-8-1", "131130")[5] == "131041"

    def test_town_named_like_a_municipality_elsewhere_is_not_taken_for_it(self):
        # 富士見町 is also 長野県諏訪郡富士見町; in 立川市's file it is a town of 立川市
        assert _parts("富士見町1-2-3", "132021")[1:3] == ("立川市", "富士見町一丁目")
        assert normalize("富士見町1-2-3").lgcode is None

    def test_town_of_a_gun_without_prefecture_in_its_own_file(self):
        assert _parts("倶知安町北1条東1丁目", "014001") == (
            "北海道", "虻田郡倶知安町", "北一条東一丁目", "", "", "014001")
        assert normalize("倶知安町北1条東1丁目").lgcode is None  # 町 alone: a town's name?

    def test_city_name_in_several_prefectures(self):
        assert normalize("府中市宮西町2-24").lgcode == "132063"
        assert normalize("府中市宮西町2-24", "342084").lgcode == "342084"

    def test_prefecture_default_gives_the_prefecture(self):
        found = normalize("神南1-19-8", "130001")
        assert (found.prefecture, found.city, found.lgcode) == ("東京都", "", "130001")

    def test_unknown_default_is_ignored(self):
        assert normalize("神南1-19-8", "999999").lgcode is None
        assert normalize("東京都渋谷区神南1-19-8", "not a code").lgcode == "131130"


class TestGarbage:
    @pytest.mark.parametrize("value", [
        None, 12, "", "   ", "-", "―", "不明", "なし", "N/A", "渋谷区役所", "渋谷区内", "???",
        "\x00\x01", "丁目", "番地", "東京都民", "東京都全域", "渋谷区立宮下公園", "八王子市役所",
    ])
    def test_none(self, value):
        assert normalize(value) is None

    @pytest.mark.parametrize("value", ["TEL 03-1234-5678", "03-3463-1211", "No.12-3",
                                       "電話 0422-45-1151"])
    def test_not_an_address_even_with_a_default(self, value):
        assert normalize(value, "131130") is None

    @pytest.mark.parametrize("value", ["丁目丁目1-" * 50, "1" * 5000, "東京都" * 300,
                                       "〒〒〒", "１２３ー４５６７", "東京都渋谷区" + "-" * 99,
                                       "東京都渋谷区神南" + "1" * 200 + "-2"])
    def test_never_raises(self, value):
        # the implementation itself, not only normalize's last-resort guard
        address._normalize(value, "131130")
        address._normalize(value, None)

    def test_prefecture_only(self):
        found = normalize("東京都")
        assert (found.prefecture, found.city, found.lgcode) == ("東京都", "", "130001")


class TestKanjiNumbers:
    @pytest.mark.parametrize("number, kanji", [
        (1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (23, "二十三"),
        (100, "百"), (110, "百十"), (2023, "二千二十三")])
    def test_both_ways(self, number, kanji):
        assert address.to_kanji(number) == kanji
        assert address.from_kanji(kanji) == number

    def test_digit_by_digit(self):
        assert address.from_kanji("二〇一") == 201

    def test_not_a_number(self):
        assert address.from_kanji("丁") is None


def _chome(text: str) -> str:
    return re.sub(r"(\d+)丁目", lambda m: address.to_kanji(int(m.group(1))) + "丁目", text)


class TestFixtureFiles:
    """Every address of the real files: the right city code, nothing lost, and where the
    file splits its addresses itself, the same split."""

    def test_shibuya(self):
        rows = _rows("tokyo-shibuya_131130_public_toilet.csv")
        assert len(rows) == 82
        for row in rows:
            found = normalize(row["住所"])
            assert (found.prefecture, found.city, found.lgcode) == ("東京都", "渋谷区", "131130")
            assert _digits(found.text) == _digits(row["住所"])
            # written without prefecture and city in the ward's own file: the same result
            assert normalize(row["住所"].removeprefix("東京都渋谷区"), "131130") == found
            if row["住所"].count("-") == 2:
                assert found.town.endswith("丁目"), row["住所"]
            assert found.town in set(address._towns()["131130"].values()), row["住所"]

    def test_koto_split_as_koto_splits_it(self):
        rows = _rows("tokyo-koto_131083_public_toilet.TRANSCODED.csv")
        assert len(rows) == 191
        for row in rows:
            found = normalize(row["所在地_連結表記"])
            assert found.lgcode == row["所在地_全国地方公共団体コード"] == "131083"
            assert found.city == row["所在地_市区町村"]
            assert found.town == _chome(row["所在地_町字"]), row["所在地_連結表記"]
            assert found.rest == re.sub(r"\s*ー?", "", row["所在地_番地以下"])
            assert found.town in set(address._towns()["131083"].values())

    def test_ichikawa_split_as_ichikawa_splits_it(self):
        rows = _rows("chiba-ichikawa_122033_108_aed.csv", "cp932")
        assert len(rows) == 191
        # the file leaves 所在地_都道府県 blank in two rows; the address has it
        assert sum(1 for row in rows if not row["所在地_都道府県"]) == 2
        for row in rows:
            found = normalize(row["所在地_連結表記"])
            assert found.lgcode == row["全国地方公共団体コード"] == "122033"
            assert (found.prefecture, found.city) == ("千葉県", row["所在地_市区町村"])
            assert found.town == _chome(row["所在地_町字"]), row["所在地_連結表記"]
            assert found.rest == re.sub(r"[‐\s]", lambda m: "-" if m.group() == "‐" else "",
                                        row["所在地_番地以下"])
            if row["建物名等(方書)"]:
                joined = normalize(row["所在地_連結表記"] + " " + row["建物名等(方書)"])
                assert joined.building == address._clean(row["建物名等(方書)"])
                assert joined.rest == found.rest

    def test_yaizu(self):
        rows = _rows("shizuoka-yaizu_222127_aed.csv")
        assert len(rows) == 82
        for row in rows:
            found = normalize(row["住所"])
            assert (found.prefecture, found.city, found.lgcode) == ("静岡県", "焼津市", "222127")
            name = re.sub(r"[〇一二三四五六七八九十]+丁目$", "", found.town)
            assert name and row["住所"].startswith("静岡県焼津市" + name), row["住所"]
            assert _digits(found.text) == _digits(row["住所"])

    def test_kobe_wards(self):
        """A 政令市's file: each shelter's ward (its 区 column) from the address alone."""
        with (DATAFILES / "hyogo-kobe_201706okunaihinanjo.csv").open(
                encoding="cp932", newline="") as stream:
            rows = [row for row in list(csv.reader(stream))[2:] if row[5]]
        assert len(rows) == 335
        codes = {"東灘": "281018", "灘": "281026", "兵庫": "281051", "長田": "281069",
                 "須磨": "281077", "垂水": "281085", "北": "281093", "中央": "281107",
                 "西": "281115"}
        for row in rows:
            found = normalize(row[5])
            assert (found.prefecture, found.city, found.lgcode) == (
                "兵庫県", f"神戸市{row[1]}区", codes[row[1]]), row[5]
            assert _digits(found.text) == _digits(row[5])

    @pytest.mark.parametrize("name, column, count", [
        ("kagawa-takamatsu_public_toilet.xlsx", "address", 169),
        ("kagawa-takamatsu_aed_location.xlsx", "address", 450),
    ])
    def test_takamatsu_and_its_neighbours(self, name, column, count):
        """Written with and without the prefecture, 高松市's AED list also has places in
        木田郡三木町 and 綾歌郡綾川町: each gets its own code."""
        rows = _sheet_rows(name)
        assert len(rows) == count
        for row in rows:
            found = normalize(row[column], "372013")
            if "綾川町" in row[column]:
                expected = ("綾歌郡綾川町", "373877")
            elif "三木町" in row[column]:
                expected = ("木田郡三木町", "373419")
            else:
                expected = ("高松市", "372013")
            assert (found.prefecture, found.city, found.lgcode) == ("香川県", *expected)
            assert _digits(found.text) == _digits(row[column])


def _sheet_rows(name: str) -> list[dict[str, str]]:
    import openpyxl

    book = openpyxl.load_workbook(DATAFILES / name, read_only=True)
    rows = [["" if v is None else str(v) for v in row]
            for row in book.worksheets[0].iter_rows(values_only=True)]
    return [dict(zip(rows[0], row)) for row in rows[1:]]
