"""What a data officer sees of the data rate: 「判定中」 while the rating runs (polled, no
reload), findings grouped by rule with what to fix, a clean file said to be clean, the
stage against the level scores explained, and chart bars that lead to the datasets."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ckanext.tdpf.schema import jobs
from ckanext.tdpf.schema.tests.conftest import PLUGINS
from ckanext.tdpf.schema.tests.test_jobs import LOCAL_FILES, RATING_OFF, dataset_with

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis"),
]


def html(app, path: str) -> BeautifulSoup:
    return BeautifulSoup(app.get(path).get_data(as_text=True), "html.parser")


@RATING_OFF
@LOCAL_FILES
def test_the_badge_says_rating_while_the_job_waits_and_polls_until_done(
        app, tdpf_org, tdpf_sysadmin, tdpf_file_server):
    tdpf_org()
    dataset = dataset_with(tdpf_sysadmin, tdpf_file_server, "shizuoka-yaizu_222127_aed.csv")
    resource = dataset["resources"][0]
    jobs.mark_in_progress(dataset["id"])  # as a staff save's queued job does
    badge = html(app, f"/dataset/{dataset['name']}").select_one(f"#tdpf-rate-{resource['id']}")
    assert "判定中" in badge.get_text()
    fragment = f"/dataset/{dataset['name']}/resource/{resource['id']}/data-rate-badge"
    assert badge["hx-get"] == fragment and "every" in badge["hx-trigger"]
    jobs.rate_dataset(dataset["id"])  # the job runs and clears the mark
    done = html(app, fragment).select_one(f"#tdpf-rate-{resource['id']}")
    assert done.get("hx-get") is None and "判定中" not in done.get_text()
    assert done.select_one(".tdpf-data-rate-stage") is not None


@RATING_OFF
@LOCAL_FILES
def test_findings_are_grouped_by_rule_with_what_to_fix(app, tdpf_org, tdpf_sysadmin,
                                                       tdpf_file_server):
    tdpf_org()
    dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                           "hyogo-kobe_20160501_school_basic_survey.xlsx")
    jobs.rate_dataset(dataset["id"])
    resource = dataset["resources"][0]
    page = html(app, f"/dataset/{dataset['name']}/resource/{resource['id']}/data-rate")
    rules = page.select("section.tdpf-rule")
    assert rules, "no findings grouped"
    ids = [section["id"] for section in rules]
    assert len(ids) == len(set(ids))  # one section per rule
    assert all("直し方" in section.get_text() for section in rules)
    assert any(section.select_one("details") for section in rules)  # the rest folded
    assert "段階（0～4）" in page.select_one(".tdpf-stage-vs-level").get_text()
    assert page.select_one("#tdpf-no-findings") is None


@RATING_OFF
@LOCAL_FILES
def test_a_clean_file_says_so_and_the_chart_leads_to_the_datasets(
        app, tdpf_org, tdpf_sysadmin, tdpf_file_server):
    import ckan.model as model
    from ckan.tests import helpers

    from ckanext.tdpf.schema.model import ResourceRating

    tdpf_org()
    dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                           "tokyo-shibuya_131130_public_toilet.csv")
    jobs.rate_dataset(dataset["id"])
    resource_id = dataset["resources"][0]["id"]
    row = model.Session.query(ResourceRating).filter_by(resource_id=resource_id).one()
    row.findings = []  # as a file that follows every rule is rated
    model.Session.commit()
    page = html(app, f"/dataset/{dataset['name']}/resource/{resource_id}/data-rate")
    assert page.select_one("#tdpf-no-findings") is not None
    assert page.select_one("section.tdpf-rule") is None
    assert "改善が必要な点" not in page.get_text()
    stage = helpers.call_action("resource_show", id=resource_id)["tdpf_mr_stage"]
    chart = html(app, "/organization/t131083").select(".tdpf-rate-link")
    hrefs = [a["href"] for a in chart]
    assert f"/dataset/?organization=t131083&tdpf_data_rate={stage}" in hrefs


@RATING_OFF
@LOCAL_FILES
def test_dates_read_the_same_on_every_page_in_japan_time(app, tdpf_org, tdpf_sysadmin,
                                                         tdpf_file_server):
    import re

    tdpf_org()
    dataset = dataset_with(tdpf_sysadmin, tdpf_file_server, "shizuoka-yaizu_222127_aed.csv")
    jobs.rate_dataset(dataset["id"])
    resource = dataset["resources"][0]
    text = html(app, f"/dataset/{dataset['name']}/resource/{resource['id']}/data-rate"
                ).get_text()
    assert re.search(r"判定日時: \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", text), text
    assert "(JST)" not in text and ", 20" not in text  # not CKAN's "12月 1, 2026, 06:05 (JST)"


def test_a_dataset_page_shows_filled_fields_and_times_in_japan_time(app, tdpf_org,
                                                                    tdpf_sysadmin):
    import ckan.model as model
    from ckan.tests import helpers

    tdpf_org()
    dataset = helpers.call_action(
        "package_create", context={"user": tdpf_sysadmin["name"]}, name="koto-harvested",
        title="江東区 収集データ", owner_org="t131083", tdpf_theme=["daily_life"],
        update_frequency="annual")
    package = model.Package.get(dataset["id"])  # provenance as the harvester writes it
    package.extras = dict(package.extras, tdpf_source_modified="2019-11-01T06:10:25.794294",
                          tdpf_harvested_at="2026-11-30T21:24:22.696405+00:00")
    model.Session.commit()
    helpers.call_action("package_patch", context={"user": tdpf_sysadmin["name"]},
                        id=dataset["id"], notes="更新")
    rows = {row.th.get_text(strip=True): row.td.get_text(strip=True)
            for row in html(app, "/dataset/koto-harvested").select("tr") if row.th and row.td}
    assert rows.get("出典での更新日時") == "2019年11月1日 15:10"
    assert rows.get("収集日時") == "2026年12月1日 06:24"
    assert "対価（円）" not in rows and "タイトル（英語）" not in rows  # empty: not shown
