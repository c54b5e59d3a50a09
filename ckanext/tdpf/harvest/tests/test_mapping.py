"""Mapping of real Tokyo records onto the TDPF schema."""
from __future__ import annotations

import pytest

from ckanext.tdpf.harvest import mapping
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS


@pytest.mark.parametrize("name, provider_type, code", [
    ("t131032", "municipality", "131032"),
    ("t000003", "metropolitan_government", "130001"),
    ("t001001", "public_agency", None),
    ("t134015", "municipality", "134015"),
])
def test_tokyo_organization_names_give_code_and_provider_type(name, provider_type, code):
    spec = mapping.organization_from_remote({"name": name, "title": "x"})
    assert spec["tdpf_provider_type"] == provider_type
    assert spec.get("municipality_code") == code


def test_unknown_names_take_the_source_default():
    assert mapping.organization_from_remote({"name": "kikaku", "title": "企画課"},
                                            {"provider_type": "municipality"}
                                            )["tdpf_provider_type"] == "municipality"
    assert "tdpf_provider_type" not in mapping.organization_from_remote({"name": "x"})


def test_tokyo_groups_are_the_priority_fields():
    record = {"groups": [{"name": "c001", "title": "防災・災害計画"}, {"name": "c014"}]}
    assert mapping.themes_from_remote(record) == ["disaster_prevention", "other"]
    assert mapping.themes_from_remote({"groups": []}) == ["other"]
    assert mapping.themes_from_remote({"tags": [{"name": "避難所"}]},
                                      {"避難所": "disaster_prevention"}) == ["disaster_prevention"]


def test_every_real_record_maps_to_a_complete_dataset():
    for record in ALL_RECORDS:
        dataset = mapping.dataset_from_remote(record, name="n", owner_org="o")
        assert dataset["title"] and dataset["tdpf_theme"]
        assert dataset["license_id"] == "CC-BY-4.0"
        assert len(dataset["resources"]) == len(record["resources"])
        assert all(r["format"] == r["format"].upper() or r["format"] == "GeoJSON"
                   for r in dataset["resources"])


def test_frequencies_of_the_real_records_are_normalized():
    spellings = {e["value"] for r in ALL_RECORDS for e in r.get("extras", [])
                 if e["key"] == "更新頻度" and e["value"]}
    mapped = {s: mapping.dataset_from_remote({"extras": [{"key": "更新頻度", "value": s}]},
                                             name="n", owner_org="o").get("update_frequency")
              for s in spellings}
    assert not [s for s, f in mapped.items() if f is None], mapped
    assert mapped["随時"] == "continuous" and mapped["年１回（３月頃）"] == "annual"
    assert mapped["3か月ごと"] == "quarterly" and mapped["更新無"] == "none"


def test_names_are_stable_and_unique_across_sources():
    a = mapping.stable_name("https://catalog.data.metro.tokyo.lg.jp", "abc-123")
    assert a == mapping.stable_name("https://catalog.data.metro.tokyo.lg.jp/api/3", "abc-123")
    assert a != mapping.stable_name("https://data.bodik.jp", "abc-123")
    assert len(a) <= 100 and a.startswith("abc-123-")


def test_content_hash_changes_with_content_only():
    one = mapping.content_hash({"a": 1, "b": [1, 2]})
    assert one == mapping.content_hash({"b": [1, 2], "a": 1})
    assert one != mapping.content_hash({"a": 1, "b": [2, 1]})


def test_clean_real_records_warn_only_of_what_is_broken():
    """The 200 recorded records: only the one listing a file three times is changed (two
    resources go); cleaning leaves every other mapped dataset as it was (but for the
    whitespace around URLs, which CKAN strips when it saves them)."""
    import copy
    warned = {}
    for record in ALL_RECORDS:
        dataset = mapping.dataset_from_remote(record, name="n", owner_org="o")
        before = copy.deepcopy(dataset)
        for item in [before] + before["resources"]:
            if isinstance(item.get("url"), str):
                item["url"] = item["url"].strip()
        warnings, positions = mapping.clean_dataset(dataset)
        if warnings:
            warned[record["id"]] = (warnings, positions)
        else:
            assert dataset == before and positions is None, record["id"]
    (only,) = warned.values()
    assert [w.split(": ", 1)[0] for w in only[0]] == ["resources[0]", "resources[1]"]
    assert only[1] == [2]


def test_refusals_are_named_by_path_and_value():
    from ckanext.tdpf.harvest.importer import _refused
    dataset = {"title": "t", "resources": [{"name": "a"}, {"name": "b"},
                                           {"name": "平成\x15" + "長" * 100}]}
    errors = {"resources": [{}, {}, {"name": ["Must not contain control characters."]}],
              "tags": [{}, {"name": ["Tag too short"]}], "title": ["Missing value"]}
    text = str(_refused(errors, dataset, positions=[0, 2, 3]))
    assert "{}" not in text
    assert 'resources[3].name: Must not contain control characters. — "平成\\u0015長' in text
    assert "…" in text  # the value is cut
    assert "tags[1].name: Tag too short |" in text and "title: Missing value — \"t\"" in text
