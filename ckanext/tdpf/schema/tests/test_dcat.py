"""The TDPF DCAT profile: every TDPF field is serialized and parsed back unchanged."""
from __future__ import annotations

import pytest
import rdflib
from rdflib.namespace import RDF

from ckan.tests import helpers
from ckanext.dcat.processors import RDFParser, RDFSerializer

from ckanext.tdpf.lib import provenance
from ckanext.tdpf.schema.dcat import FREQUENCIES, ODRL, tdpf
from ckanext.tdpf.schema.tests.conftest import PLUGINS
from ckanext.tdpf.schema.tests.test_schema import valid

PROFILES = ["euro_dcat_ap_3", "tdpf"]
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS + " dcat"),
    pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", " ".join(PROFILES)),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

ROUND_TRIP_FIELDS = [
    "title", "title_en", "notes", "notes_en", "tdpf_theme", "update_frequency",
    "tdpf_distribution", "license_id", "tdpf_license_tier", "tdpf_provider_type",
    "municipality_code", "tdpf_personal_data", "tdpf_storage_location", "tdpf_warranty",
    "tdpf_warranty_version", "tdpf_permitted_purposes", "tdpf_permitted_user_types",
    "tdpf_usage_conditions", "tdpf_price_jpy", "tdpf_price_unit",
    "tdpf_fee_exempt_user_types", "tdpf_source_url", "tdpf_source_id",
]


@pytest.fixture
def paid_dataset(tdpf_org, tdpf_sysadmin):
    tdpf_org()
    context = {"user": tdpf_sysadmin["name"], provenance.CONTEXT_KEY: True}
    return helpers.call_action("package_create", context=context, **valid(
        title_en="Public toilets in Koto City", notes_en="Public toilets of the city",
        tdpf_distribution="shared", license_id="tdpf-paid", tdpf_price_jpy=12000,
        tdpf_price_unit="per_year", tdpf_permitted_purposes=["research", "public_service"],
        tdpf_permitted_user_types=["company", "academic"], tdpf_storage_location="japan",
        tdpf_usage_conditions="研究目的に限る", tdpf_warranty=True,
        tdpf_source_url="https://catalog.data.metro.tokyo.lg.jp/dataset/t131083d0000000019",
        tdpf_source_id="t131083d0000000019",
        resources=[{"url": "https://example.org/toilets.csv", "format": "CSV",
                    "name": "公衆トイレ一覧"}]))


def round_trip(dataset: dict, fmt: str) -> dict:
    text = RDFSerializer(profiles=PROFILES).serialize_dataset(dataset, _format=fmt)
    parser = RDFParser(profiles=PROFILES)
    parser.parse(text, _format=fmt)
    (parsed,) = list(parser.datasets())
    return parsed


@pytest.mark.parametrize("fmt", ["turtle", "xml", "json-ld"])
def test_every_tdpf_field_survives_a_round_trip(paid_dataset, fmt):
    dataset = helpers.call_action("package_show", id=paid_dataset["id"])
    parsed = round_trip(dataset, fmt)
    for field in ROUND_TRIP_FIELDS:
        expected = dataset[field]
        if field == "tdpf_price_jpy":
            expected = int(expected)
        assert parsed.get(field) == expected, field


def test_open_dataset_round_trip_with_frequency_and_themes(tdpf_org, tdpf_sysadmin):
    tdpf_org()
    for frequency in FREQUENCIES:
        dataset = helpers.call_action("package_create", context={"user": tdpf_sysadmin["name"]},
                                      **valid(name=f"ds-{frequency}", update_frequency=frequency))
        parsed = round_trip(dataset, "turtle")
        assert parsed["update_frequency"] == frequency
        assert parsed["tdpf_theme"] == ["urban_development", "daily_life"]
        assert parsed["tdpf_distribution"] == "open"
        assert parsed["license_id"] == "CC-BY-4.0"


def test_dataset_ttl_endpoint_is_valid_dcat(app, paid_dataset):
    response = app.get(f"/dataset/{paid_dataset['name']}.ttl")
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.body, format="turtle")
    (dataset_ref,) = list(graph.subjects(RDF.type, DCAT.Dataset))
    themes = {str(t).rsplit("/", 1)[-1] for t in graph.objects(dataset_ref, DCAT.theme)}
    assert themes == {"urban_development", "daily_life"}
    assert (dataset_ref, DCT.accrualPeriodicity, FREQUENCIES["annual"]) in graph
    policies = list(graph.objects(dataset_ref, ODRL.hasPolicy))
    assert len(policies) == 1 and (policies[0], RDF.type, ODRL.Offer) in graph
    ns = tdpf()
    assert str(graph.value(dataset_ref, ns.municipalityCode)) == "131083"
    assert str(graph.value(dataset_ref, ns.providerType)) == "municipality"
    assert list(graph.subjects(RDF.type, DCAT.Distribution))
