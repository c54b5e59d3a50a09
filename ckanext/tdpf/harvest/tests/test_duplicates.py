"""Cross-source duplicates (issue #14): the Tokyo catalog aggregates the datasets that 港区
(Minato, 131032) publishes in its own CKAN. Harvested from both, each is one dataset held by
both sources, with the content of the source of the higher precedence; a withdrawal or a
cleared source keeps it while the other source holds it.

The Tokyo side is the replay of the recorded Tokyo catalog records (港区's three). The ward
side is a DERIVED replay, not a recording: ``ward_shape`` reshapes the same recorded records
as a ward's own CKAN would publish them (its own dataset ids and names, its own
organization, its own resource ids with the same file URLs, titles spaced and written in
other widths, one dataset with a newer file the catalog has not copied yet).
"""
from __future__ import annotations

import copy
import uuid
from typing import Any, Iterator

import pytest

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.harvest.model import HarvestObject, HarvestObjectError
from ckanext.tdpf.harvest.model import WARNING_STAGE, Holding
from ckanext.tdpf.harvest.tests import replay
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS, PLUGINS
from ckanext.tdpf.harvest.tests.test_ckan_harvester import summary_of

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

MINATO = [record for record in ALL_RECORDS
          if record["organization"]["name"] == "t131032"]
# 文化財一覧 (list of cultural properties): one title, six municipalities in the catalog
CULTURAL = [record for record in ALL_RECORDS if record["title"] == "文化財一覧"]
NERIMA = next(record for record in CULTURAL if record["organization"]["name"] == "t131202")
MINATO_ORGANIZATION = {"name": "t131032", "title": "港区", "provider_type": "municipality",
                       "municipality_code": "131032"}
NERIMA_ORGANIZATION = {"name": "t131202", "title": "練馬区", "provider_type": "municipality",
                       "municipality_code": "131202"}


def _ward_id(ward: str, value: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ward}/{value}"))


def ward_shape(records: list[dict[str, Any]], ward: str, organization: dict[str, str],
               newer_file: bool = True) -> list[dict[str, Any]]:
    """DERIVED from the recorded Tokyo catalog records (module docstring): the records as
    the ward's own CKAN publishes them. The first keeps its files, served over http (the
    URLs are compared normalised); the second's title uses half-width middle dots and it has
    a newer file the catalog lacks (so only its organization and title match); the others
    are spaced with ideographic spaces."""
    shaped = []
    for position, record in enumerate(copy.deepcopy(records)):
        record["id"] = _ward_id(ward, record["id"])
        record["name"] = f"{ward}-{record['id'][:8]}"
        record["organization"] = {"id": _ward_id(ward, "organization"), "name": ward,
                                  "title": organization["title"], "type": "organization"}
        record["groups"] = []
        for resource in record["resources"]:
            resource["id"] = _ward_id(ward, resource["id"])
            resource["package_id"] = record["id"]
        if position == 0:
            for resource in record["resources"]:
                resource["url"] = resource["url"].replace("https://", "http://", 1)
        elif position == 1 and newer_file:
            record["title"] = record["title"].replace("・", "･")
            record["resources"].append(dict(
                record["resources"][-1], id=_ward_id(ward, "newer"),
                name="令和4年度版", url=record["resources"][-1]["url"] + "?edition=2022"))
        else:
            record["title"] = record["title"].replace("の", "の　").replace("】", "】　")
        shaped.append(record)
    return shaped


WARD = ward_shape(MINATO, "minato-city", MINATO_ORGANIZATION)
TOKYO_OF = {ward["id"]: tokyo["id"] for ward, tokyo in zip(WARD, MINATO)}


@pytest.fixture(scope="module")
def ward_server() -> Iterator[tuple[str, replay.Catalog]]:
    server, catalog = replay.serve(WARD)
    yield f"http://127.0.0.1:{server.server_address[1]}", catalog
    server.shutdown()


@pytest.fixture
def both(tdpf_catalog, ward_server, tdpf_source):
    """The Tokyo catalog serving 港区's records, the ward's CKAN serving its own: two
    sources, made with the given configs."""
    tokyo_url, tokyo_catalog = tdpf_catalog
    ward_url, ward_catalog = ward_server
    tokyo_catalog.reset(MINATO)
    ward_catalog.reset(WARD)

    def make(tokyo: dict | None = None, ward: dict | None = None):
        return (tdpf_source(tokyo_url, name="tokyo", **(tokyo or {})),
                tdpf_source(ward_url, name="minato-city",
                            organization=MINATO_ORGANIZATION, **(ward or {})),
                tokyo_catalog, ward_catalog)
    return make


def run(tdpf_harvest_run, source: dict) -> dict[str, int]:
    result = tdpf_harvest_run(source["name"])
    assert result.exit_code == 0, result.output
    return summary_of(result.output)


def minato() -> dict[str, dict]:
    """Tokyo record id → the one active dataset of 港区 that holds it, from search (a
    dataset found twice fails)."""
    model.Session.remove()
    found = helpers.call_action("package_search", fq="organization:t131032", rows=100)
    datasets: dict[str, dict] = {}
    for dataset in found["results"]:
        key = TOKYO_OF.get(dataset["tdpf_source_id"], dataset["tdpf_source_id"])
        assert key not in datasets, f"{key} found twice"
        datasets[key] = dataset
    assert found["count"] == len(datasets)
    return datasets


def sources_of(dataset: dict) -> list[tuple[str, bool]]:
    return [(source["title"], source["shown"]) for source in helpers.call_action(
        "tdpf_harvest_dataset_source_list", id=dataset["id"])]


def warnings_of(source: dict) -> list[str]:
    model.Session.remove()
    return [message for (message,) in model.Session.query(HarvestObjectError.message)
            .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
            .filter(HarvestObject.harvest_source_id == source["id"],
                    HarvestObjectError.stage == WARNING_STAGE)]


def ward_title(tokyo_id: str) -> str:
    return next(ward["title"] for ward in WARD if TOKYO_OF[ward["id"]] == tokyo_id)


def tokyo_title(tokyo_id: str) -> str:
    return next(record["title"] for record in MINATO if record["id"] == tokyo_id)


class TestBothSources:
    @pytest.mark.parametrize("ward_first", [False, True], ids=["tokyo-first", "ward-first"])
    def test_each_dataset_once_with_both_sources_and_the_wards_content(
            self, both, tdpf_harvest_run, ward_first):
        tokyo, ward, _tokyo_catalog, _ward_catalog = both()
        first, second = (ward, tokyo) if ward_first else (tokyo, ward)
        assert run(tdpf_harvest_run, first)["added"] == 3
        counts = run(tdpf_harvest_run, second)
        assert (counts["added"], counts["updated"], counts["errors"]) == (0, 3, 0)
        datasets = minato()
        assert set(datasets) == {record["id"] for record in MINATO}
        for tokyo_id, dataset in datasets.items():
            # the ward's own catalog beats the aggregator by default: its content is shown
            assert sources_of(dataset) == [("minato-city", True), ("tokyo", False)]
            assert dataset["title"] == ward_title(tokyo_id)
            assert dataset["tdpf_source_url"].startswith(ward["url"])
            assert dataset["organization"]["name"] == "t131032"
        newer = datasets[MINATO[1]["id"]]
        assert len(newer["resources"]) == len(WARD[1]["resources"])
        assert len(minato()) == 3  # (a second look: nothing arrived later)
        # the job report says, per record, which source's dataset it was merged into
        merged = [message for message in warnings_of(second)
                  if "Merged into the dataset" in message]
        assert len(merged) == 3, warnings_of(second)
        assert all(f'"{first["title"]}"' in message for message in merged)
        assert sum("same resource URLs" in message for message in merged) == 2
        assert sum("same organization and title" in message for message in merged) == 1
        shown_elsewhere = [message for message in warnings_of(tokyo)
                           if 'shows the content of the harvest source "minato-city"'
                           in message]
        assert len(shown_elsewhere) == (3 if ward_first else 0)

    def test_an_unchanged_rerun_of_either_source_writes_nothing(self, both, tdpf_harvest_run):
        tokyo, ward, _tokyo_catalog, _ward_catalog = both()
        run(tdpf_harvest_run, tokyo)
        run(tdpf_harvest_run, ward)
        before = {key: dataset["metadata_modified"] for key, dataset in minato().items()}
        for source in (tokyo, ward):
            counts = run(tdpf_harvest_run, source)
            assert (counts["unchanged"], counts["added"], counts["updated"]) == (3, 0, 0)
        assert {key: d["metadata_modified"] for key, d in minato().items()} == before

    def test_the_precedence_in_the_config_picks_the_content(self, both, tdpf_harvest_run):
        tokyo, ward, _tokyo_catalog, _ward_catalog = both(tokyo={"precedence": 30})
        run(tdpf_harvest_run, ward)
        counts = run(tdpf_harvest_run, tokyo)
        assert (counts["added"], counts["updated"]) == (0, 3)
        for tokyo_id, dataset in minato().items():
            assert sources_of(dataset) == [("tokyo", True), ("minato-city", False)]
            assert dataset["title"] == tokyo_title(tokyo_id)
            assert dataset["tdpf_source_url"].startswith(tokyo["url"])

    def test_a_change_at_the_lower_source_leaves_the_shown_content(self, both,
                                                                     tdpf_harvest_run):
        tokyo, ward, tokyo_catalog, ward_catalog = both()
        run(tdpf_harvest_run, tokyo)
        run(tdpf_harvest_run, ward)
        before = minato()[MINATO[2]["id"]]
        changed = copy.deepcopy(MINATO)
        changed[2]["title"] = "【行政資料集】障害者福祉（東京都カタログ版）"
        tokyo_catalog.reset(changed)
        assert run(tdpf_harvest_run, tokyo)["updated"] == 1
        after = minato()[MINATO[2]["id"]]
        assert (after["title"], after["metadata_modified"]) == (
            before["title"], before["metadata_modified"])
        assert sources_of(after) == [("minato-city", True), ("tokyo", False)]
        # the next unchanged run of the catalog knows its record's own content
        assert run(tdpf_harvest_run, tokyo)["unchanged"] == 3
        ward_records = copy.deepcopy(WARD)
        ward_records[2]["title"] = "障害者福祉（港区）"
        ward_catalog.reset(ward_records)
        assert run(tdpf_harvest_run, ward)["updated"] == 1
        assert minato()[MINATO[2]["id"]]["title"] == "障害者福祉（港区）"

    def test_the_dataset_page_lists_the_source_catalogs(self, both, tdpf_harvest_run, app):
        tokyo, ward, _tokyo_catalog, _ward_catalog = both()
        run(tdpf_harvest_run, tokyo)
        run(tdpf_harvest_run, ward)
        dataset = minato()[MINATO[0]["id"]]
        page = app.get(f"/dataset/{dataset['name']}").body
        section = page[page.index('class="tdpf-harvest-sources'):]
        section = section[:section.index("</section>")]
        assert section.index("minato-city") < section.index("tokyo")
        assert f'href="{ward["url"]}/dataset/{WARD[0]["name"]}"' in section
        assert f'href="{tokyo["url"]}/dataset/{MINATO[0]["name"]}"' in section


class TestWithdrawal:
    def test_a_dataset_stays_until_the_last_source_withdraws_it(self, both,
                                                                tdpf_harvest_run):
        config = {"max_delete_ratio": 0.6}
        tokyo, ward, tokyo_catalog, ward_catalog = both(tokyo=config, ward=config)
        run(tdpf_harvest_run, tokyo)
        run(tdpf_harvest_run, ward)
        shown_by_ward, shown_by_both, gone_from_tokyo = (record["id"] for record in MINATO)
        # the ward withdraws the first (its content was shown), the catalog the last
        ward_catalog.reset([record for record in WARD
                            if TOKYO_OF[record["id"]] != shown_by_ward])
        tokyo_catalog.reset([record for record in MINATO
                             if record["id"] != gone_from_tokyo])
        for source in (ward, tokyo):
            counts = run(tdpf_harvest_run, source)
            assert (counts["withdrawn"], counts["errors"]) == (1, 0)
        datasets = minato()
        assert set(datasets) == {record["id"] for record in MINATO}
        kept = datasets[shown_by_ward]  # now with the catalog's content
        assert sources_of(kept) == [("tokyo", True)]
        assert kept["title"] == tokyo_title(shown_by_ward)
        assert kept["tdpf_source_url"].startswith(tokyo["url"])
        assert sources_of(datasets[gone_from_tokyo]) == [("minato-city", True)]
        assert datasets[gone_from_tokyo]["title"] == ward_title(gone_from_tokyo)
        assert sources_of(datasets[shown_by_both]) == [("minato-city", True),
                                                       ("tokyo", False)]
        assert any('the harvest source "tokyo" still holds it' in message
                   for message in warnings_of(ward))
        assert any('the harvest source "minato-city" still holds it' in message
                   for message in warnings_of(tokyo))
        # the last withdrawals delete them
        tokyo_catalog.reset([record for record in MINATO if record["id"] == shown_by_both])
        ward_catalog.reset([record for record in WARD
                            if TOKYO_OF[record["id"]] == shown_by_both])
        for source in (tokyo, ward):
            assert run(tdpf_harvest_run, source)["withdrawn"] == 1
        assert set(minato()) == {shown_by_both}
        for record_id in (shown_by_ward, gone_from_tokyo):
            assert _state(tokyo, record_id) == "deleted"

    def test_a_withdrawn_record_back_at_the_source_is_held_again(self, both,
                                                                 tdpf_harvest_run):
        config = {"max_delete_ratio": 0.6}
        tokyo, ward, tokyo_catalog, _ward_catalog = both(tokyo=config)
        run(tdpf_harvest_run, tokyo)
        run(tdpf_harvest_run, ward)
        tokyo_catalog.reset(MINATO[1:])
        run(tdpf_harvest_run, tokyo)
        tokyo_catalog.reset(MINATO)
        counts = run(tdpf_harvest_run, tokyo)
        assert (counts["added"], counts["updated"], counts["errors"]) == (0, 1, 0)
        assert sources_of(minato()[MINATO[0]["id"]]) == [("minato-city", True),
                                                         ("tokyo", False)]


def _state(source: dict, tokyo_id: str) -> str | None:
    """The state of the dataset the source's record of a Tokyo id had."""
    model.Session.remove()
    guid = tokyo_id if source["name"] == "tokyo" else next(
        ward_id for ward_id, key in TOKYO_OF.items() if key == tokyo_id)
    package_id = (model.Session.query(HarvestObject.package_id)
                  .filter(HarvestObject.harvest_source_id == source["id"],
                          HarvestObject.guid == guid, HarvestObject.package_id.isnot(None))
                  .order_by(HarvestObject.gathered.desc()).limit(1).scalar())
    package = model.Package.get(package_id) if package_id else None
    return package.state if package else None


class TestClearingASource:
    def test_clearing_keeps_what_another_source_holds(self, both, tdpf_harvest_run):
        tokyo, ward, tokyo_catalog, _ward_catalog = both()
        chiyoda = next(record for record in ALL_RECORDS
                       if record["organization"]["name"] == "t131016"
                       or record["organization"]["name"] == "t131024")
        tokyo_catalog.reset(MINATO + [chiyoda])
        run(tdpf_harvest_run, tokyo)
        run(tdpf_harvest_run, ward)
        sysadmin = factories.Sysadmin()
        # the ward's source, whose content was shown, is cleared
        helpers.call_action("harvest_source_clear", context={"user": sysadmin["name"]},
                            id=ward["id"])
        datasets = minato()
        assert set(datasets) == {record["id"] for record in MINATO}
        for tokyo_id, dataset in datasets.items():
            assert sources_of(dataset) == [("tokyo", True)]
            assert dataset["title"] == tokyo_title(tokyo_id)
        model.Session.remove()
        assert model.Session.query(Holding).filter_by(source_id=ward["id"]).count() == 0
        assert helpers.call_action("package_search", q=f'tdpf_source_id:"{chiyoda["id"]}"'
                                   )["count"] == 1
        # and the catalog's: nobody else holds them now
        helpers.call_action("harvest_source_clear", context={"user": sysadmin["name"]},
                            id=tokyo["id"])
        model.Session.remove()
        assert helpers.call_action("package_search", fq="tdpf_source_id:[* TO *]",
                                   rows=0)["count"] == 0

    def test_clearing_the_lower_source_leaves_the_shown_content(self, both,
                                                                tdpf_harvest_run):
        tokyo, ward, _tokyo_catalog, _ward_catalog = both()
        run(tdpf_harvest_run, ward)
        run(tdpf_harvest_run, tokyo)
        before = {key: (d["title"], d["metadata_modified"]) for key, d in minato().items()}
        helpers.call_action("harvest_source_clear",
                            context={"user": factories.Sysadmin()["name"]}, id=tokyo["id"])
        datasets = minato()
        assert {key: (d["title"], d["metadata_modified"]) for key, d in datasets.items()
                } == before
        assert all(sources_of(d) == [("minato-city", True)] for d in datasets.values())


class TestDeletedSource:
    def test_a_deleted_source_gives_way_to_a_live_one(self, both, tdpf_harvest_run):
        """A source deleted without clearing keeps its datasets, but counts below any live
        source: the catalog's next change shows the catalog's content."""
        tokyo, ward, tokyo_catalog, _ward_catalog = both()
        run(tdpf_harvest_run, tokyo)
        run(tdpf_harvest_run, ward)
        helpers.call_action("harvest_source_delete",
                            context={"user": factories.Sysadmin()["name"]}, id=ward["id"])
        changed = copy.deepcopy(MINATO)
        changed[0]["title"] = "港区の財務書類（改訂）"
        tokyo_catalog.reset(changed)
        assert run(tdpf_harvest_run, tokyo)["updated"] == 1
        datasets = minato()
        assert datasets[MINATO[0]["id"]]["title"] == "港区の財務書類（改訂）"
        assert datasets[MINATO[1]["id"]]["title"] == ward_title(MINATO[1]["id"])


class TestNotDuplicates:
    def test_one_title_in_different_municipalities_stays_apart(
            self, tdpf_catalog, ward_server, tdpf_source, tdpf_harvest_run):
        """練馬区's own CKAN publishes its 文化財一覧 with files of its own (not those the
        catalog lists); the catalog has 文化財一覧 of five other municipalities."""
        tokyo_url, tokyo_catalog = tdpf_catalog
        ward_url, ward_catalog = ward_server
        others = [record for record in CULTURAL if record is not NERIMA]
        assert len({r["organization"]["name"] for r in others}) == len(others) >= 5
        tokyo_catalog.reset(others)
        (nerima,) = ward_shape([NERIMA], "nerima-city", NERIMA_ORGANIZATION)
        for resource in nerima["resources"]:
            resource["url"] = resource["url"] + "?nerima-own-copy"
        ward_catalog.reset([nerima])
        tokyo = tdpf_source(tokyo_url, name="tokyo")
        ward = tdpf_source(ward_url, name="nerima-city", organization=NERIMA_ORGANIZATION)
        assert run(tdpf_harvest_run, tokyo)["added"] == len(others)
        counts = run(tdpf_harvest_run, ward)
        assert (counts["added"], counts["updated"]) == (1, 0)
        model.Session.remove()
        found = helpers.call_action("package_search", q='title:"文化財一覧"', rows=100)
        assert found["count"] == len(others) + 1
        assert all(len(sources_of(dataset)) == 1 for dataset in found["results"])
        assert not any("Merged" in message for message in warnings_of(ward))

    @pytest.mark.ckan_config("ckanext.tdpf.harvest.import_workers", 1)  # (one batch)
    def test_two_datasets_of_one_title_and_organization_merge_by_their_files(
            self, tdpf_catalog, ward_server, tdpf_source, tdpf_harvest_run):
        """The catalog has two records of one bureau with one title; a second catalog
        publishes both under its own ids, listed the other way round. Each is merged with
        the one of the same files, not the first of that title. (The recorded pair lists
        the same file; the second's URL is given a query here, derived, so that the two
        differ.)"""
        tokyo_url, tokyo_catalog = tdpf_catalog
        ward_url, ward_catalog = ward_server
        twins = copy.deepcopy(sorted(
            (record for record in ALL_RECORDS
             if record["title"] == "政治団体名簿_自由民主党(PDF形式：616KB)"),
            key=lambda record: record["id"]))
        assert len(twins) == 2 and twins[0]["organization"] == twins[1]["organization"]
        for resource in twins[1]["resources"]:
            resource["url"] += "?edition=2"
        tokyo_catalog.reset(twins)
        mirrored = copy.deepcopy(twins)
        for record, new_id in zip(mirrored, ("mirror-b", "mirror-a")):  # listed 2nd, 1st
            record["id"] = record["name"] = new_id
        ward_catalog.reset(mirrored)
        tokyo = tdpf_source(tokyo_url, name="tokyo")
        mirror = tdpf_source(ward_url, name="mirror")
        run(tdpf_harvest_run, tokyo)
        counts = run(tdpf_harvest_run, mirror)
        assert (counts["added"], counts["updated"]) == (0, 2)
        model.Session.remove()
        for record, twin in zip(twins, mirrored):
            (holding,) = model.Session.query(Holding).filter_by(source_id=mirror["id"],
                                                                guid=twin["id"])
            dataset = helpers.call_action("package_show", id=holding.package_id)
            assert dataset["tdpf_source_id"] == record["id"]
            assert {r["url"] for r in dataset["resources"]} == {
                r["url"] for r in twin["resources"]}

    def test_the_same_title_in_the_same_municipality_is_merged(
            self, tdpf_catalog, ward_server, tdpf_source, tdpf_harvest_run):
        """The counterpart: the catalog's own 練馬区 文化財一覧 and the ward's, files apart,
        are one dataset (same municipality, same title)."""
        tokyo_url, tokyo_catalog = tdpf_catalog
        ward_url, ward_catalog = ward_server
        tokyo_catalog.reset(CULTURAL)
        (nerima,) = ward_shape([NERIMA], "nerima-city", NERIMA_ORGANIZATION)
        for resource in nerima["resources"]:
            resource["url"] = resource["url"] + "?nerima-own-copy"
        ward_catalog.reset([nerima])
        tokyo = tdpf_source(tokyo_url, name="tokyo")
        ward = tdpf_source(ward_url, name="nerima-city", organization=NERIMA_ORGANIZATION)
        run(tdpf_harvest_run, tokyo)
        counts = run(tdpf_harvest_run, ward)
        assert (counts["added"], counts["updated"]) == (0, 1)
        model.Session.remove()
        found = helpers.call_action("package_search", q='title:"文化財一覧"', rows=100)
        assert found["count"] == len(CULTURAL)
        merged = [d for d in found["results"] if len(sources_of(d)) == 2]
        assert [d["organization"]["name"] for d in merged] == ["t131202"]



class TestUpgrade:
    def test_datasets_harvested_before_the_holdings_are_matched(
            self, both, tdpf_harvest_run, migrate_db_for):
        """The migration makes each current harvest object its source's holding, with its
        match keys: the ward's records merge at once, and the catalog's next run finds its
        records unchanged."""
        tokyo, ward, _tokyo_catalog, _ward_catalog = both()
        run(tdpf_harvest_run, tokyo)
        model.Session.remove()
        made = {(h.guid, h.url_key, h.title_key) for h in model.Session.query(Holding)}
        before = minato()
        migrate_db_for("tdpf_harvest", "8c4d2f6a1b57", forward=False)
        migrate_db_for("tdpf_harvest")
        model.Session.remove()
        holdings = model.Session.query(Holding).all()
        assert {(h.source_id, h.package_id, h.shown) for h in holdings} == {
            (tokyo["id"], dataset["id"], True) for dataset in before.values()}
        assert {(h.guid, h.url_key, h.title_key) for h in holdings} == made
        counts = run(tdpf_harvest_run, ward)
        assert (counts["added"], counts["updated"]) == (0, 3)
        datasets = minato()
        assert {key: d["id"] for key, d in datasets.items()} == {
            key: d["id"] for key, d in before.items()}
        assert all(sources_of(d) == [("minato-city", True), ("tokyo", False)]
                   for d in datasets.values())
        assert run(tdpf_harvest_run, tokyo)["unchanged"] == 3

    def test_keys_missing_after_the_migration_are_filled_by_the_next_run(
            self, both, tdpf_harvest_run):
        tokyo, ward, _tokyo_catalog, _ward_catalog = both()
        run(tdpf_harvest_run, tokyo)
        model.Session.query(Holding).update({"url_key": None, "title_key": None})
        model.Session.commit()
        assert run(tdpf_harvest_run, tokyo)["unchanged"] == 3
        model.Session.remove()
        assert model.Session.query(Holding).filter(Holding.url_key.is_(None)).count() == 0
        assert run(tdpf_harvest_run, ward)["updated"] == 3
        assert all(len(sources_of(d)) == 2 for d in minato().values())
