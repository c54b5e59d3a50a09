"""The JSON config of a TDPF harvest source, validated with errors that name the key."""
from __future__ import annotations

import codecs
import json
from typing import Any, Callable

from ckanext.tdpf.lib import municipalities
from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import N_, bilingual

DEFAULTS: dict[str, Any] = {
    "organization": None,
    "organization_map": {},
    "provider_type": None,
    "default_themes": ["other"],
    "theme_map": {},
    "license_map": {},
    "default_license": None,
    "encoding": None,
    "timeout": 30,
    "retries": 3,
    "backoff": 1.0,
    "delay": 0.0,
    "page_size": 100,
    "filters": {},
    "max_delete_ratio": 0.2,
    "columns": {},
    "catalog_kind": None,
    "precedence": None,
}
# Which catalog's content a dataset that several sources hold shows (``precedence``, higher
# wins): by default a provider's own catalog beats an aggregator. A source that names its
# one organization (``organization``) is taken for that provider's own catalog, any other
# for an aggregator, unless ``catalog_kind`` says which it is.
CATALOG_KINDS = ("provider", "aggregator")
DEFAULT_PRECEDENCE = {"provider": 20, "aggregator": 10}


class ConfigError(ValueError):
    """Raised with a message naming the key; ckanext-harvest shows it on the form."""


def _fail(key: str, message: str, **params: Any) -> None:
    raise ConfigError(f"{key}: {bilingual(message, **params)}")


def _number(low: float, high: float, integer: bool = False) -> Callable[[str, Any], Any]:
    def check(key: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                integer and not isinstance(value, int)):
            _fail(key, N_("Must be a number from {low} to {high}."), low=low, high=high)
        if not low <= value <= high:
            _fail(key, N_("Must be a number from {low} to {high}."), low=low, high=high)
        return value
    return check


def _string_map(values: dict | None = None) -> Callable[[str, Any], Any]:
    def check(key: str, value: Any) -> Any:
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            _fail(key, N_("Must be an object of text values."))
        if values is not None:
            unknown = [v for v in value.values() if v not in values]
            if unknown:
                _fail(key, N_("Unknown values: {values}; allowed: {allowed}."),
                      values=", ".join(unknown[:5]), allowed=", ".join(values))
        return value
    return check


def _themes(key: str, value: Any) -> Any:
    if not isinstance(value, list) or not value or not all(v in vocab.THEMES for v in value):
        _fail(key, N_("Must be a list of themes: {allowed}."), allowed=", ".join(vocab.THEMES))
    return value


def _provider_type(key: str, value: Any) -> Any:
    if value is not None and value not in vocab.PROVIDER_TYPES:
        _fail(key, N_("Unknown value \"{value}\"; allowed: {allowed}."), value=str(value),
              allowed=", ".join(vocab.PROVIDER_TYPES))
    return value


def _license(key: str, value: Any) -> Any:
    if value is not None and value not in vocab.LICENSE_TIER:
        _fail(key, N_("Unknown value \"{value}\"; allowed: {allowed}."), value=str(value),
              allowed=", ".join(vocab.LICENSE_TIER))
    return value


def _encoding(key: str, value: Any) -> Any:
    if value is not None:
        try:
            codecs.lookup(value)
        except (LookupError, TypeError):
            _fail(key, N_("Unknown character encoding \"{value}\"."), value=str(value))
    return value


def _organization_spec(key: str, value: Any) -> dict:
    if not isinstance(value, dict):
        _fail(key, N_("Must be an object with name, title, provider_type and, for "
                      "municipalities, municipality_code."))
    allowed = {"name", "title", "provider_type", "municipality_code"}
    extra = set(value) - allowed
    if extra:
        _fail(key, N_("Unknown keys: {keys}."), keys=", ".join(sorted(extra)))
    if not isinstance(value.get("name"), str) or not value["name"]:
        _fail(f"{key}.name", N_("Missing value"))
    _provider_type(f"{key}.provider_type", value.get("provider_type"))
    code = value.get("municipality_code")
    if code is not None and (not isinstance(code, str) or municipalities.lookup(code) is None):
        _fail(f"{key}.municipality_code",
              N_("{code} is not in the national list of local governments."), code=str(code))
    if value.get("provider_type") == "municipality" and not code:
        _fail(f"{key}.municipality_code", N_("Municipalities need their municipality code."))
    return value


def _catalog_kind(key: str, value: Any) -> Any:
    if value is not None and value not in CATALOG_KINDS:
        _fail(key, N_("Unknown value \"{value}\"; allowed: {allowed}."), value=str(value),
              allowed=", ".join(CATALOG_KINDS))
    return value


def _organization(key: str, value: Any) -> Any:
    return None if value is None else _organization_spec(key, value)


def _organization_map(key: str, value: Any) -> Any:
    if not isinstance(value, dict):
        _fail(key, N_("Must be an object of text values."))
    for remote, spec in value.items():
        _organization_spec(f"{key}.{remote}", spec)
    return value


def _filters(key: str, value: Any) -> Any:
    if not isinstance(value, dict):
        _fail(key, N_("Must be an object of text values."))
    extra = set(value) - {"organizations", "fq", "q"}
    if extra:
        _fail(key, N_("Unknown keys: {keys}."), keys=", ".join(sorted(extra)))
    organizations = value.get("organizations", [])
    if not isinstance(organizations, list) or not all(isinstance(o, str) for o in organizations):
        _fail(f"{key}.organizations", N_("Must be a list of values."))
    for name in ("fq", "q"):
        if name in value and not isinstance(value[name], str):
            _fail(f"{key}.{name}", N_("Must be text, not {kind}."),
                  kind=type(value[name]).__name__)
    return value


CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "organization": _organization,
    "organization_map": _organization_map,
    "provider_type": _provider_type,
    "default_themes": _themes,
    "theme_map": _string_map(vocab.THEMES),
    "license_map": _string_map(vocab.LICENSE_TIER),
    "default_license": _license,
    "encoding": _encoding,
    "timeout": _number(1, 300),
    "retries": _number(0, 10, integer=True),
    "backoff": _number(0, 60),
    "delay": _number(0, 60),
    "page_size": _number(1, 1000, integer=True),
    "filters": _filters,
    "max_delete_ratio": _number(0, 1),
    "columns": _string_map(),
    "catalog_kind": _catalog_kind,
    "precedence": _number(0, 100, integer=True),
}


def parse(text: str | None) -> dict[str, Any]:
    """The source config with defaults filled in; ``ConfigError`` names what is wrong."""
    if not text or not text.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ConfigError(bilingual(N_("The configuration is not valid JSON: {error}"),
                                        error=str(error))) from None
    if not isinstance(data, dict):
        raise ConfigError(bilingual(N_("The configuration must be a JSON object.")))
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise ConfigError(bilingual(N_("Unknown keys: {keys}."), keys=", ".join(unknown)))
    config = {key: json.loads(json.dumps(value)) for key, value in DEFAULTS.items()}
    for key, value in data.items():
        if key in ("catalog_kind", "precedence") and value is None:
            continue  # (null: the default)
        config[key] = CHECKS[key](key, value)
    if config["catalog_kind"] is None:
        config["catalog_kind"] = "provider" if config["organization"] else "aggregator"
    if config["precedence"] is None:
        config["precedence"] = DEFAULT_PRECEDENCE[config["catalog_kind"]]
    return config
