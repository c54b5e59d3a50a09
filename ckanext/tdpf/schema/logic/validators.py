"""Validators of the TDPF schema. Every message names the problem in Japanese and English
(``lib.i18n.bilingual``); navl keys each error by its field."""
from __future__ import annotations

import datetime
import json
import re
import secrets
from typing import Any

from flask import has_request_context

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.logic.validators import owner_org_validator, package_name_validator
from ckan.model import PACKAGE_NAME_MAX_LENGTH, PACKAGE_NAME_MIN_LENGTH
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey
from ckanext.scheming.validation import scheming_validator

from ckanext.tdpf.lib import municipalities, provenance, validation
from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import N_, bilingual

__all__ = [
    "tdpf_schema_required", "tdpf_schema_text", "tdpf_schema_url", "tdpf_schema_boolean",
    "tdpf_schema_choice", "tdpf_schema_choices", "tdpf_schema_default_list",
    "tdpf_schema_frequency", "tdpf_schema_license_tier", "tdpf_schema_from_organization",
    "tdpf_schema_price", "tdpf_schema_warranty_record", "tdpf_schema_server_managed",
    "tdpf_schema_format", "tdpf_schema_dataset_rules", "tdpf_schema_provider_type",
    "tdpf_schema_municipality_code", "tdpf_schema_operator_only", "tdpf_schema_package_name",
    "tdpf_schema_owner_org", "tdpf_schema_dataset_name",
]

Invalid = tk.Invalid
missing = tk.missing
StopOnError = tk.StopOnError
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE = {True, "true", "True", "on", "1", 1, "yes"}
FALSE = {False, "false", "False", "off", "0", 0, "no", "", None}


def vocabulary(name: str) -> dict[str, tuple[str, str]]:
    """The vocabulary a schema field names with ``tdpf_vocabulary``."""
    return {
        "licenses": vocab.LICENSE_TITLES,
        "provider_types": vocab.PROVIDER_TYPES, "themes": vocab.THEMES,
        "frequencies": vocab.FREQUENCIES, "distributions": vocab.DISTRIBUTIONS,
        "license_tiers": vocab.LICENSE_TIERS, "price_units": vocab.PRICE_UNITS,
        "user_types": vocab.USER_TYPES, "purposes": vocab.PURPOSES,
        "personal_data": vocab.PERSONAL_DATA, "storage_locations": vocab.STORAGE_LOCATIONS,
    }[name]


_empty = validation.is_empty


def _drop(key: FlattenKey, data: FlattenDataDict) -> None:
    data.pop(key, None)
    raise StopOnError


def _add_error(errors: FlattenErrorDict, field: str, message: str, **params: Any) -> None:
    errors.setdefault((field,), []).append(bilingual(message, **params))


tdpf_schema_required = validation.required


@scheming_validator
def tdpf_schema_text(field: dict, schema: dict):
    """Text only (not lists, numbers or objects), within the field's length, no control
    characters: what a careless or hostile caller sends is refused, not stored."""
    limit = int(field.get("max_length", 1000))

    def validator(value: Any) -> Any:
        value = validation.check_text(value, limit)
        if not isinstance(value, str):
            return value
        if CONTROL.search(value):
            raise Invalid(bilingual(N_("Must not contain control characters.")))
        return value

    return validator


def tdpf_schema_url(value: Any) -> Any:
    if isinstance(value, str) and value and not re.match(r"^https?://[^\s/$.?#].\S*$", value):
        raise Invalid(bilingual(N_("Must be a web address starting with http:// or https://.")))
    return value


def tdpf_schema_boolean(value: Any) -> Any:
    if value in TRUE:
        return True
    if value in FALSE or value is missing:
        return False
    raise Invalid(bilingual(N_("Must be true or false.")))


def _allowed(values: dict) -> str:
    return ", ".join(list(values)[:16])


@scheming_validator
def tdpf_schema_choice(field: dict, schema: dict):
    """One value of the field's vocabulary."""
    values = vocabulary(field["tdpf_vocabulary"])

    def validator(value: Any) -> Any:
        if _empty(value):
            return value
        if not isinstance(value, str):
            raise Invalid(bilingual(N_("Must be one value, not {kind}."),
                                    kind=type(value).__name__))
        if value not in values:
            raise Invalid(bilingual(N_("Unknown value \"{value}\"; allowed: {allowed}."),
                                    value=value[:100], allowed=_allowed(values)))
        return value

    return validator


@scheming_validator
def tdpf_schema_choices(field: dict, schema: dict):
    """Zero or more values of the field's vocabulary (one or more if required), stored as a
    JSON list in vocabulary order, as ckanext-scheming does."""
    values = vocabulary(field["tdpf_vocabulary"])
    required = bool(field.get("required"))

    def validator(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                  context: Context) -> None:
        value = data.get(key)
        if isinstance(value, str) and value.startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if _empty(value) or value == []:
            value = []
        elif isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[key].append(bilingual(N_("Must be a list of values.")))
            raise StopOnError
        unknown = [v for v in value if v not in values]
        if unknown:
            errors[key].append(bilingual(N_("Unknown values: {values}; allowed: {allowed}."),
                                         values=", ".join(v[:50] for v in unknown[:5]),
                                         allowed=_allowed(values)))
            raise StopOnError
        if required and not value:
            errors[key].append(bilingual(N_("Missing value")))
            raise StopOnError
        data[key] = json.dumps([v for v in values if v in set(value)])

    return validator


def tdpf_schema_default_list(*defaults: str):
    def validator(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                  context: Context) -> None:
        if _empty(data.get(key)):
            data[key] = list(defaults)

    return validator


def tdpf_schema_frequency(value: Any) -> Any:
    """Free text such as 「年１回（３月頃）」 is normalized onto the vocabulary."""
    if _empty(value):
        return value
    if not isinstance(value, str):
        raise Invalid(bilingual(N_("Must be text, not {kind}."), kind=type(value).__name__))
    normalized = vocab.normalize_frequency(value[:200])
    if normalized is None:
        raise Invalid(bilingual(N_("Unknown update frequency \"{value}\"; allowed: {allowed}."),
                                value=value[:100], allowed=_allowed(vocab.FREQUENCIES)))
    return normalized


def tdpf_schema_license_tier(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                             context: Context) -> None:
    """Derived from the licence; what the caller sends is ignored."""
    license_id = data.get(("license_id",))
    tier = vocab.LICENSE_TIER.get(license_id) if isinstance(license_id, str) else None
    if tier is None:
        _drop(key, data)
    data[key] = tier


def organization(value: Any, context: Context) -> model.Group | None:
    """The organization named or identified by ``value``, looked up once per context (a
    dataset's validation asks several times; a harvest batch shares one context cache)."""
    if not isinstance(value, str) or not value:
        return None
    cache = context.setdefault(provenance.ORGANIZATION_CACHE_KEY, {})  # type: ignore[misc]
    if value not in cache:
        group = model.Group.get(value)
        cache[value] = group if group is not None and group.is_organization else None
    return cache[value]


GENERATED_NAME_PREFIX_LENGTH = 60


def generated_name(organization_name: str | None) -> str:
    """A new dataset's URL name: the organization's name and 8 random hex digits."""
    prefix = (organization_name or "dataset")[:GENERATED_NAME_PREFIX_LENGTH].strip("-_")
    return f"{prefix or 'dataset'}-{secrets.token_hex(4)}"


def tdpf_schema_dataset_name(key: FlattenKey, data: FlattenDataDict,
                             errors: FlattenErrorDict, context: Context) -> None:
    """A new dataset without a name gets one: the organization's name and a short random
    id, such as ``t131083-3f9a2c1b``; the form's script proposes the same before saving,
    where the user sees it and may change it.

    Staff title their datasets in Japanese, and CKAN's slug script makes nothing from
    kanji, so the form stopped on 「URL: 必須項目です」. A romanized title (pykakasi) was the
    other choice, not taken: it guesses readings, and place names, the heart of municipal
    titles, come out wrong — pykakasi 2.3.0 makes 三田市 (Sanda) ``mita-shi`` and 葛飾区
    金町 (Kanamachi) ``katsushikaku-kanemachi`` — and a wrong reading stays in a permanent
    address; it adds a 9.6 MB dictionary; and the browser cannot compute it, so the preview
    would not show what is saved. An organization-prefixed id is always valid, says who
    publishes, and is made the same way in the browser and on the server.

    A name given (the API, a harvest, an edited form) is validated as before; an update
    without a name is refused as before (a dataset's address never changes by itself)."""
    if not _empty(data.get(key)):
        return
    if context.get("package") is not None:
        errors[key].append(bilingual(N_("Missing value")))
        raise StopOnError
    org = organization(data.get(("owner_org",)), context)
    data[key] = generated_name(org.name if org is not None else None)


def tdpf_schema_package_name(key: FlattenKey, data: FlattenDataDict,
                             errors: FlattenErrorDict, context: Context) -> Any:
    """CKAN's ``package_name_validator``, without its query for a name a harvest batch has
    just found free (``provenance.FREE_NAMES_KEY``): that query is a tenth of an import."""
    value = data.get(key)
    if (isinstance(value, str) and value in context.get(provenance.FREE_NAMES_KEY, ())
            and PACKAGE_NAME_MIN_LENGTH <= len(value) <= PACKAGE_NAME_MAX_LENGTH):
        return None
    return package_name_validator(key, data, errors, context)


def tdpf_schema_owner_org(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                          context: Context) -> Any:
    """CKAN's ``owner_org_validator``, without its two lookups when they can only say yes:
    the organization is in the context's cache (a harvest batch read it) and the caller
    is a sysadmin without access checks (no membership or collaborator rule applies)."""
    value = data.get(key)
    user = context.get("auth_user_obj")
    cached = (context.get(provenance.ORGANIZATION_CACHE_KEY, {}).get(value)
              if isinstance(value, str) and value else None)
    if (cached is not None and context.get("ignore_auth") and getattr(user, "sysadmin", False)
            and getattr(user, "name", None) == context.get("user")):
        data[key] = cached.id
        return None
    return owner_org_validator(key, data, errors, context)


def tdpf_schema_from_organization(key: FlattenKey, data: FlattenDataDict,
                                  errors: FlattenErrorDict, context: Context) -> None:
    """Provider type and municipality code come from the organization, never the caller."""
    org = organization(data.get(("owner_org",)), context)
    value = org.extras.get(key[-1]) if org is not None else None
    if not value:
        _drop(key, data)
    data[key] = value


def tdpf_schema_price(value: Any) -> Any:
    if _empty(value):
        return missing
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Invalid(bilingual(N_("Must be a whole number of yen.")))
    text = value.strip().replace(",", "") if isinstance(value, str) else value
    try:
        number = int(text)
    except ValueError:
        raise Invalid(bilingual(N_("Must be a whole number of yen."))) from None
    if number < 0 or number > 10**10:
        raise Invalid(bilingual(N_("Must be between 0 and 10,000,000,000 yen.")))
    return number


def _previous_extra(context: Context, name: str) -> Any:
    package = context.get("package")
    if package is None:
        return None
    return package.extras.get(name)


def tdpf_schema_warranty_record(key: FlattenKey, data: FlattenDataDict,
                                errors: FlattenErrorDict, context: Context) -> None:
    """Who warranted, when, and which text version: recorded here, never taken from the
    client. A warranty kept across updates keeps its original record."""
    if data.get(("tdpf_warranty",)) is not True:
        _drop(key, data)
    record = context.get("tdpf_schema_warranty")
    if record is None:
        version = tk.config["ckanext.tdpf.schema.warranty_version"]
        previous = {name: _previous_extra(context, f"tdpf_warranty_{name}")
                    for name in ("by", "at", "version")}
        if previous["version"] == version and previous["by"] and previous["at"]:
            record = previous
        else:
            user = context.get("user") or ""
            record = {"by": user, "version": version,
                      "at": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        context["tdpf_schema_warranty"] = record  # type: ignore[typeddict-unknown-key]
    data[key] = record[key[-1].rsplit("_", 1)[-1]]


def tdpf_schema_server_managed(key: FlattenKey, data: FlattenDataDict,
                               errors: FlattenErrorDict, context: Context) -> None:
    """Harvest provenance: set by a harvest run, kept as it was for everyone else."""
    if context.get(provenance.CONTEXT_KEY):
        value = data.get(key)
        if _empty(value):
            _drop(key, data)
        if not isinstance(value, str) or len(value) > 2000:
            errors[key].append(bilingual(N_("Must be text of at most 2000 characters.")))
            raise StopOnError
        return
    previous = _previous_extra(context, key[-1])
    if previous is None:
        _drop(key, data)
    data[key] = previous


def tdpf_schema_format(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                       context: Context) -> None:
    value = data.get(key)
    url = data.get(key[:-1] + ("url",))
    if value is not missing and value is not None and not isinstance(value, str):
        errors[key].append(bilingual(N_("Must be text, not {kind}."), kind=type(value).__name__))
        raise StopOnError
    normalized = vocab.normalize_format(value if isinstance(value, str) else None,
                                        url if isinstance(url, str) else None)
    data[key] = normalized[:100]


def _listed(data: FlattenDataDict, name: str) -> list[str]:
    return validation.as_list(data.get((name,)))


def tdpf_schema_dataset_rules(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                              context: Context) -> None:
    """The rules that tie fields together (SPEC §1); each error names the field to fix."""
    def get(name: str) -> Any:
        value = data.get((name,))
        return None if value is missing else value

    def clean(*names: str) -> bool:
        return not any(errors.get((name,)) for name in names)

    org = organization(get("owner_org"), context)
    provider_type = org.extras.get("tdpf_provider_type") if org is not None else None
    if org is not None and clean("owner_org"):
        accepted = tk.config["ckanext.tdpf.schema.accepted_provider_types"]
        if not provider_type:
            _add_error(errors, "owner_org", N_("The organization has no provider type; an "
                                               "operator must set it before it can publish."))
        elif provider_type not in accepted:
            label = vocab.PROVIDER_TYPES[provider_type]
            _add_error(errors, "owner_org",
                       N_("Data from providers of type \"{type}\" is not accepted yet."),
                       type=f"{label[0]} ({label[1]})")

    distribution, tier = get("tdpf_distribution"), get("tdpf_license_tier")
    if distribution in vocab.TIERS_BY_DISTRIBUTION and tier and clean("license_id"):
        if tier not in vocab.TIERS_BY_DISTRIBUTION[distribution]:
            if distribution == "open":
                _add_error(errors, "license_id", N_("Open data needs an open or restricted "
                                                    "licence, not the TDPF shared or paid "
                                                    "terms."))
            else:
                _add_error(errors, "license_id", N_("Shared data needs the TDPF shared "
                                                    "(tdpf-shared) or paid (tdpf-paid) terms."))
    if tier == "paid" and clean("tdpf_price_jpy"):
        price = get("tdpf_price_jpy")
        if not isinstance(price, int) or price <= 0:
            _add_error(errors, "tdpf_price_jpy",
                       N_("Paid data needs a price of more than 0 yen."))
    if tier == "paid" and not get("tdpf_price_unit") and clean("tdpf_price_unit"):
        _add_error(errors, "tdpf_price_unit", N_("Paid data needs a price unit."))

    if distribution == "shared":
        if not _listed(data, "tdpf_permitted_purposes") and clean("tdpf_permitted_purposes"):
            _add_error(errors, "tdpf_permitted_purposes",
                       N_("Shared data needs at least one permitted purpose."))
        if not get("tdpf_storage_location") and clean("tdpf_storage_location"):
            _add_error(errors, "tdpf_storage_location",
                       N_("Shared data must be stored in Japan or an equivalent country."))

    personal = get("tdpf_personal_data")
    if personal in vocab.PERSONAL_DATA_STAGE and clean("tdpf_personal_data"):
        limit = tk.config["ckanext.tdpf.schema.max_personal_data_stage"]
        if vocab.PERSONAL_DATA_STAGE[personal] > limit:
            _add_error(errors, "tdpf_personal_data",
                       N_("TDPF does not handle personal information yet (personal-data "
                          "stage {stage}; the platform accepts stage {limit} at most)."),
                       stage=vocab.PERSONAL_DATA_STAGE[personal], limit=limit)

    if _publishes_without_files_in_the_form(data, context):
        _add_error(errors, "url", N_("Add a file or a link before publishing: a dataset "
                                     "without data cannot be published from the form."))

    reasons = []
    if distribution == "shared":
        reasons.append(N_("it is shared data"))
    if provider_type and provider_type not in vocab.GOVERNMENT_PROVIDER_TYPES:
        reasons.append(N_("the provider is not a government body"))
    if personal and personal != "none":
        reasons.append(N_("it is about individuals"))
    if reasons and get("tdpf_warranty") is not True and clean("tdpf_warranty"):
        _add_error(errors, "tdpf_warranty",
                   N_("The provider's warranty is required because {reasons}."),
                   reasons=", ".join(bilingual(reason) for reason in reasons))


def _publishes_without_files_in_the_form(data: FlattenDataDict, context: Context) -> bool:
    """The web form's last stage (「データの追加」, 公開する) turns the draft active; without
    a file or a link CKAN 2.12 would publish an empty dataset silently. CKAN's option
    ``ckan.dataset.create_on_ui_requires_resources`` (on by default) only sends the form
    to that stage; this refuses finishing it empty. The API (and jobs) may still create
    datasets without resources."""
    if not tk.config["ckan.dataset.create_on_ui_requires_resources"]:
        return False
    if not has_request_context() or (tk.request.endpoint or "").startswith("api."):
        return False
    package = context.get("package")
    if package is None or package.state != "draft" or data.get(("state",)) != "active":
        return False
    # CKAN 2.12 validates only the resources that change; the others are in the database.
    if any(resource.url for resource in package.resources):
        return False
    return not any(key[0] == "resources" and key[-1] == "url" and not _empty(value)
                   for key, value in data.items())


# --- organizations -------------------------------------------------------------------------

def tdpf_schema_provider_type(value: Any) -> Any:
    if _empty(value):
        raise Invalid(bilingual(N_("Missing value")))
    if not isinstance(value, str) or value not in vocab.PROVIDER_TYPES:
        raise Invalid(bilingual(N_("Unknown value \"{value}\"; allowed: {allowed}."),
                                value=str(value)[:100], allowed=_allowed(vocab.PROVIDER_TYPES)))
    if value not in tk.config["ckanext.tdpf.schema.accepted_provider_types"]:
        label = vocab.PROVIDER_TYPES[value]
        raise Invalid(bilingual(N_("Data from providers of type \"{type}\" is not accepted "
                                   "yet."), type=f"{label[0]} ({label[1]})"))
    return value


def tdpf_schema_municipality_code(key: FlattenKey, data: FlattenDataDict,
                                  errors: FlattenErrorDict, context: Context) -> None:
    """全国地方公共団体コード: 6 digits, a valid check digit, in the national list;
    required for municipalities."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:06d}"
    if _empty(value):
        if data.get(("tdpf_provider_type",)) == "municipality":
            errors[key].append(bilingual(N_("Municipalities need their municipality code.")))
            raise StopOnError
        _drop(key, data)
    if not isinstance(value, str) or not re.fullmatch(r"\d{6}", value.strip()):
        errors[key].append(bilingual(N_("Must be the 6-digit municipality code, e.g. 131016.")))
        raise StopOnError
    value = value.strip()
    if not municipalities.has_valid_check_digit(value):
        errors[key].append(bilingual(N_("The check digit of {code} is wrong."), code=value))
        raise StopOnError
    if municipalities.lookup(value) is None:
        errors[key].append(bilingual(N_("{code} is not in the national list of local "
                                        "governments."), code=value))
        raise StopOnError
    data[key] = value


def tdpf_schema_operator_only(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                              context: Context) -> None:
    """Only operators (sysadmins) set it; for anyone else it keeps its stored value."""
    user = model.User.get(context.get("user") or "")
    if user is not None and user.sysadmin:
        data[key] = tdpf_schema_boolean(data.get(key))
        return
    group = context.get("group")
    previous = group.extras.get(key[-1]) if group is not None else None
    data[key] = previous if previous is not None else False
