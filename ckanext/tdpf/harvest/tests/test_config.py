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
])
def test_bad_configs_name_the_key(text, key):
    with pytest.raises(config.ConfigError) as error:
        config.parse(text)
    message = str(error.value)
    assert key in message
    assert " / " in message  # Japanese / English
