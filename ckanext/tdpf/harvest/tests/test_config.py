"""Source configs are validated with errors that name the key (ja / en)."""
from __future__ import annotations

import pytest

from ckanext.tdpf.harvest import config


def test_empty_config_takes_the_defaults():
    parsed = config.parse("{}")
    assert parsed["max_delete_ratio"] == 0.2 and parsed["default_themes"] == ["other"]
    assert config.parse("") == parsed


@pytest.mark.parametrize("text, key", [
    ("[1, 2]", "JSON"),
    ("{not json", "JSON"),
    ('{"timeuot": 3}', "timeuot"),
    ('{"timeout": 0}', "timeout"),
    ('{"timeout": "30"}', "timeout"),
    ('{"retries": 1.5}', "retries"),
    ('{"max_delete_ratio": 1.5}', "max_delete_ratio"),
    ('{"default_themes": ["weather"]}', "default_themes"),
    ('{"theme_map": {"防災": "bousai"}}', "theme_map"),
    ('{"license_map": {"cc": "CC-BY-9"}}', "license_map"),
    ('{"encoding": "shift-jisx"}', "encoding"),
    ('{"provider_type": "alien"}', "provider_type"),
    ('{"organization": {"name": "minato", "provider_type": "municipality"}}',
     "organization.municipality_code"),
    ('{"organization_map": {"t1": {"name": "x", "municipality_code": "999999"}}}',
     "organization_map.t1.municipality_code"),
    ('{"filters": {"orgs": ["a"]}}', "filters"),
    ('{"catalog_kind": "portal"}', "catalog_kind"),
    ('{"precedence": 101}', "precedence"),
    ('{"precedence": 1.5}', "precedence"),
])
def test_bad_configs_name_the_key(text, key):
    with pytest.raises(config.ConfigError) as error:
        config.parse(text)
    message = str(error.value)
    assert key in message
    assert " / " in message  # Japanese / English


def test_a_providers_own_catalog_beats_an_aggregator_by_default():
    """A source that names its one organization is that provider's own catalog; any other
    aggregates (the Tokyo catalog); either can be said, and the precedence set."""
    ward = '{"organization": {"name": "t131032", "provider_type": "municipality", ' \
           '"municipality_code": "131032"}}'
    assert (config.parse(ward)["catalog_kind"], config.parse(ward)["precedence"]) == (
        "provider", 20)
    assert (config.parse("{}")["catalog_kind"], config.parse("{}")["precedence"]) == (
        "aggregator", 10)
    said = config.parse('{"catalog_kind": "provider"}')
    assert (said["catalog_kind"], said["precedence"]) == ("provider", 20)
    assert config.parse(ward[:-1] + ', "catalog_kind": "aggregator"}')["precedence"] == 10
    assert config.parse('{"precedence": 50, "catalog_kind": null}')["precedence"] == 50
