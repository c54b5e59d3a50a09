"""Remote data is cleaned, and a record is refused only when it cannot be made valid
(issue #14): real Tokyo records with broken values injected, served by the replay catalog
and harvested with ``ckan tdpf-harvest run``."""
from __future__ import annotations

import copy

import pytest

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.harvest.model import HarvestObject, HarvestObjectError
from ckanext.tdpf.harvest.model import WARNING_STAGE
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS, PLUGINS
from ckanext.tdpf.harvest.tests.test_ckan_harvester import harvested, last_job, summary_of

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

# 犯罪被害発生状況: 254 resources (the real case had 243 CSVs)
BIG = max(ALL_RECORDS, key=lambda record: len(record["resources"]))
OTHERS = [record for record in ALL_RECORDS[:6] if record["id"] != BIG["id"]][:5]


def messages(guid: str, warnings: bool) -> list[str]:
    model.Session.remove()
    rows = (model.Session.query(HarvestObjectError.message, HarvestObjectError.stage)
            .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
            .filter(HarvestObject.guid == guid))
    return [message for message, stage in rows if (stage == WARNING_STAGE) == warnings]


def by_path(warnings: list[str]) -> dict[str, str]:
    return {message.split(": ", 1)[0]: message for message in warnings}


def broken_record() -> dict:
    record = copy.deepcopy(BIG)
    resources = record["resources"]
    record["title"] += "\x07"
    record["tags"] = [{"name": "防犯・安全"}, {"name": "犯"}, {"name": "長" * 101},
                      {"name": "統計\x1f"}]
    resources[72]["name"] = "平成 \x15\x18 年 犯罪発生状況"      # a broken PDF extraction
    resources[73]["description"] = "一行目\n二行目\t\x00終わり"  # line breaks and tabs stay
    resources[80]["url"] = "file:///C:/data/hanzai.pdf"
    resources[81]["last_modified"] = "令和2年3月"
    resources[82]["name"] = "長" * 600
    resources[90]["url"] = resources[91]["url"]
    return record


class TestCleaned:
    def test_a_record_with_broken_values_arrives_cleaned_with_warnings(
            self, tdpf_catalog, tdpf_source, tdpf_harvest_run):
        url, catalog = tdpf_catalog
        record = broken_record()
        catalog.reset([record] + OTHERS)
        source = tdpf_source(url)
        dry = tdpf_harvest_run(source["name"], "--dry-run")
        assert "would add 6, update 0, leave 0 unchanged, withdraw 0; errors 0, warnings 11" \
            in dry.output, dry.output
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        warnings = messages(record["id"], warnings=True)
        assert summary_of(result.output) == {
            "listed": 6, "added": 6, "updated": 0, "unchanged": 0, "withdrawn": 0,
            "errors": 0, "warnings": len(warnings)}, result.output
        assert messages(record["id"], warnings=False) == []

        local = harvested(source["id"])[record["id"]]
        remote = record["resources"]
        assert local["title"] == BIG["title"]
        assert [tag["name"] for tag in local["tags"]] == ["統計", "防犯 安全"]
        resources = local["resources"]
        assert len(resources) == len(remote) - 1            # remote 90 had 91's URL
        assert resources[72]["name"] == "平成  年 犯罪発生状況"
        assert resources[73]["description"] == "一行目\n二行目\t終わり"
        assert resources[80]["url"] == "" and resources[80]["name"] == remote[80]["name"]
        assert not resources[81].get("last_modified")
        assert resources[82]["name"] == "長" * 500
        assert (resources[90]["url"], resources[90]["name"]) == (remote[91]["url"],
                                                                 remote[91]["name"])
        assert resources[100]["url"] == remote[101]["url"]

        found = by_path(warnings)
        assert set(found) == {
            "title", "tags[0].name", "tags[1].name", "tags[2].name", "tags[3].name",
            "resources[72].name", "resources[73].description", "resources[80].url",
            "resources[81].last_modified", "resources[82].name", "resources[90]"}
        assert found["resources[72].name"].endswith(
            'removed control characters — "平成 \\u0015\\u0018 年 犯罪発生状況"')
        assert "制御文字を削除しました" in found["resources[72].name"]  # Japanese and English
        assert "not an http(s) address" in found["resources[80].url"]
        assert "file:///C:/data/hanzai.pdf" in found["resources[80].url"]
        assert "not a date" in found["resources[81].last_modified"]
        assert "cut to 500 characters (it had 600)" in found["resources[82].name"]
        assert "the same URL as resources[91]" in found["resources[90]"]
        assert "防犯 安全" in found["tags[0].name"]
        assert "tags have 2 to 100 characters" in found["tags[1].name"]

        harvest_object = model.Session.query(HarvestObject).filter_by(
            guid=record["id"], current=True).one()
        assert (harvest_object.state, harvest_object.report_status) == ("COMPLETE", "added")
        job = last_job(source)
        assert job["tdpf_summary"]["warnings"] == len(warnings)
        assert job["tdpf_summary"]["errors"] == 0
        assert job["stats"]["errored"] == 0 and job["stats"]["added"] == 6
        status = helpers.call_action("harvest_source_show_status", id=source["id"])
        assert status["last_job"]["stats"]["errored"] == 0  # no error mail for warnings
        (listed,) = helpers.call_action("harvest_job_list", source_id=source["id"])
        assert listed["stats"]["errored"] == 0  # the source's job list
        assert job["object_error_summary"] == []
        assert {row["message"] for row in job["tdpf_warning_summary"]} <= set(warnings)

        # an unchanged record is not written again, and warns no more
        again = tdpf_harvest_run(source["name"])
        assert summary_of(again.output)["unchanged"] == 6
        assert summary_of(again.output)["warnings"] == 0

    def test_the_job_page_lists_warnings_apart_from_errors(self, app, tdpf_catalog,
                                                          tdpf_source, tdpf_harvest_run):
        url, catalog = tdpf_catalog
        refused = copy.deepcopy(OTHERS[0])
        refused["resources"][0]["name"] = ["名前", "ではない"]
        catalog.reset([broken_record(), refused])
        source = tdpf_source(url)
        assert tdpf_harvest_run(source["name"]).exit_code == 0
        job = last_job(source)
        sysadmin = factories.Sysadmin()
        token = factories.APIToken(user=sysadmin["name"])["token"]
        page = app.get(f"/harvest/{source['name']}/job/{job['id']}",
                       headers={"Authorization": token})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert 'class="tdpf-harvest-warnings">11<' in text
        report = text.split('class="tdpf-harvest-warning-report"', 1)[1]
        assert "resources[72].name" in report and BIG["id"] in report
        # stored as "日本語 / English"; a Japanese page shows the Japanese and the value
        assert "制御文字を削除しました — " in report and "removed control characters" not in report
        english = app.get(f"/en/harvest/{source['name']}/job/{job['id']}",
                          headers={"Authorization": token}).get_data(as_text=True)
        assert "removed control characters — " in english and "制御文字を削除しました" not in english
        assert refused["id"] not in report  # its error is in the error report
        before = text.split('class="tdpf-harvest-warning-report"', 1)[0]
        assert "resources[0].name" in before and refused["id"] in before
        assert "resources[72].name" not in before  # not an error


class TestRefused:
    def test_a_record_that_cannot_be_made_valid_names_the_path_and_value(
            self, tdpf_catalog, tdpf_source, tdpf_harvest_run):
        url, catalog = tdpf_catalog
        record = copy.deepcopy(BIG)
        # resource 3 is dropped as a duplicate of 4: positions named are the source's still
        record["resources"][3]["url"] = record["resources"][4]["url"]
        record["resources"][72]["description"] = {"ja": "平成\x15年", "en": "Heisei"}
        catalog.reset([record] + OTHERS)
        source = tdpf_source(url)
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        (error,) = messages(record["id"], warnings=False)
        assert "{}" not in error, error
        assert 'resources[72].description: ' in error, error
        assert "Must be text, not dict." in error, error
        assert '"ja": "平成\\u0015年"' in error, error  # the value, escaped
        assert record["id"] not in harvested(source["id"])
        counts = summary_of(result.output)
        assert (counts["added"], counts["errors"], counts["warnings"]) == (5, 1, 0)
