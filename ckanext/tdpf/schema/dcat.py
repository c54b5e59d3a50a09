"""The TDPF profile for ckanext-dcat: every TDPF field in DCAT, and back.

Use it after the DCAT-AP profile (``ckanext.dcat.rdf.profiles = euro_dcat_ap_3 tdpf``), which
maps the core CKAN fields. Mapping:

- themes → ``dcat:theme``, concepts of the TDPF theme scheme (``<base>theme/<value>``);
- update frequency → ``dct:accrualPeriodicity``, EU Publications Office frequency authority;
- distribution → ``dct:accessRights``, EU access-right authority (PUBLIC / RESTRICTED);
- licence → ``dct:license`` on the dataset (register URL, or ``<base>license/<id>``);
- usage conditions of shared and paid data → an ``odrl:Offer`` in ``odrl:hasPolicy``:
  permitted purposes and user types as constraints, the price as a compensation duty;
- provenance of harvested data → ``prov:wasDerivedFrom`` and ``tdpf:`` properties;
- everything else TDPF-specific → properties in the ``tdpf:`` namespace (``<base>ns#``).

``<base>`` is ``ckanext.tdpf.schema.dcat.vocabulary_base``, stable for a deployment.
"""
from __future__ import annotations

import json
from typing import Any

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS, XSD

import ckan.plugins.toolkit as tk
from ckanext.dcat.profiles import RDFProfile
from ckanext.dcat.profiles.base import DCAT, DCT

from ckanext.tdpf.lib import vocabularies as vocab

ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
PROV = Namespace("http://www.w3.org/ns/prov#")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")

FREQUENCIES = {
    "continuous": FREQUENCY.UPDATE_CONT, "daily": FREQUENCY.DAILY, "weekly": FREQUENCY.WEEKLY,
    "monthly": FREQUENCY.MONTHLY, "quarterly": FREQUENCY.QUARTERLY,
    "semiannual": FREQUENCY.ANNUAL_2, "annual": FREQUENCY.ANNUAL,
    "irregular": FREQUENCY.IRREG, "once": FREQUENCY.OTHER, "none": FREQUENCY.NEVER,
}
ACCESS_RIGHTS = {"open": ACCESS_RIGHT.PUBLIC, "shared": ACCESS_RIGHT.RESTRICTED}
# Literal-valued TDPF properties: field → (property name, datatype or None)
LITERALS = {
    "tdpf_provider_type": ("providerType", None),
    "municipality_code": ("municipalityCode", None),
    "tdpf_license_tier": ("licenseTier", None),
    "tdpf_personal_data": ("personalDataCategory", None),
    "tdpf_storage_location": ("storageLocation", None),
    "tdpf_warranty_version": ("warrantyVersion", None),
    "tdpf_warranty_at": ("warrantedAt", XSD.dateTime),
    "tdpf_source_id": ("sourceIdentifier", None),
    "tdpf_source_modified": ("sourceModified", XSD.dateTime),
    "tdpf_harvested_at": ("harvestedAt", XSD.dateTime),
    "tdpf_source_hash": ("sourceContentHash", None),
    "tdpf_data_rate": ("dataRate", XSD.integer),
}


def base() -> str:
    configured = tk.config.get("ckanext.tdpf.schema.dcat.vocabulary_base")
    return configured or tk.config["ckan.site_url"].rstrip("/") + "/vocabulary/"


def tdpf() -> Namespace:
    return Namespace(base() + "ns#")


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    return [v for v in value or [] if isinstance(v, str)]


def _last_segment(uri: Any) -> str:
    return str(uri).rstrip("/").rsplit("/", 1)[-1]


class TDPFProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict: dict, dataset_ref: URIRef) -> None:
        g, ns, root = self.g, tdpf(), base()
        g.bind("tdpf", ns)
        g.bind("odrl", ODRL)
        g.bind("prov", PROV)

        for title_field, notes_field, lang in (("title", "notes", "ja"),
                                               ("title_en", "notes_en", "en")):
            if dataset_dict.get(title_field):
                g.add((dataset_ref, DCT.title, Literal(dataset_dict[title_field], lang=lang)))
            if dataset_dict.get(notes_field):
                g.add((dataset_ref, DCT.description,
                       Literal(dataset_dict[notes_field], lang=lang)))

        for theme in _list(dataset_dict.get("tdpf_theme")):
            if theme in vocab.THEMES:
                concept = URIRef(f"{root}theme/{theme}")
                g.add((dataset_ref, DCAT.theme, concept))
                g.add((concept, RDF.type, SKOS.Concept))
                g.add((concept, SKOS.prefLabel, Literal(vocab.THEMES[theme][0], lang="ja")))
                g.add((concept, SKOS.prefLabel, Literal(vocab.THEMES[theme][1], lang="en")))
                g.add((concept, SKOS.inScheme, URIRef(f"{root}theme")))

        frequency = dataset_dict.get("update_frequency")
        if frequency in FREQUENCIES:
            g.remove((dataset_ref, DCT.accrualPeriodicity, None))
            g.add((dataset_ref, DCT.accrualPeriodicity, FREQUENCIES[frequency]))

        distribution = dataset_dict.get("tdpf_distribution")
        if distribution in ACCESS_RIGHTS:
            g.remove((dataset_ref, DCT.accessRights, None))
            g.add((dataset_ref, DCT.accessRights, ACCESS_RIGHTS[distribution]))

        license_id = dataset_dict.get("license_id")
        if license_id in vocab.LICENSE_TIER:
            g.remove((dataset_ref, DCT.license, None))
            g.add((dataset_ref, DCT.license, self._license_uri(license_id)))

        for field, (name, datatype) in LITERALS.items():
            value = dataset_dict.get(field)
            if value not in (None, ""):
                g.add((dataset_ref, ns[name], Literal(value, datatype=datatype)))
        if dataset_dict.get("tdpf_warranty") is True:
            g.add((dataset_ref, ns.warranty, Literal(True)))
        if dataset_dict.get("tdpf_source_url"):
            g.add((dataset_ref, PROV.wasDerivedFrom, URIRef(dataset_dict["tdpf_source_url"])))

        if distribution == "shared":
            self._policy(dataset_dict, dataset_ref)

        resources = {r.get("id"): r for r in dataset_dict.get("resources", [])}
        for distribution_ref in self.g.objects(dataset_ref, DCAT.distribution):
            resource = resources.get(_last_segment(distribution_ref))
            if resource and resource.get("tdpf_mr_stage") is not None:
                g.add((distribution_ref, ns.machineReadabilityStage,
                       Literal(resource["tdpf_mr_stage"], datatype=XSD.integer)))

    def _license_uri(self, license_id: str) -> URIRef:
        url = next((entry["url"] for entry in vocab.licenses() if entry["id"] == license_id),
                   "")
        return URIRef(url or f"{base()}license/{license_id}")

    def _policy(self, dataset_dict: dict, dataset_ref: URIRef) -> None:
        """The usage conditions as an ODRL offer."""
        g, ns = self.g, tdpf()
        policy, permission = BNode(), BNode()
        g.add((dataset_ref, ODRL.hasPolicy, policy))
        g.add((policy, RDF.type, ODRL.Offer))
        g.add((policy, ODRL.permission, permission))
        g.add((permission, ODRL.target, dataset_ref))
        g.add((permission, ODRL.action, ODRL.use))
        if dataset_dict.get("tdpf_usage_conditions"):
            g.add((policy, DCT.description,
                   Literal(dataset_dict["tdpf_usage_conditions"], lang="ja")))
        for operand, field in ((ODRL.purpose, "tdpf_permitted_purposes"),
                               (ODRL.recipient, "tdpf_permitted_user_types")):
            values = _list(dataset_dict.get(field))
            if values:
                constraint = BNode()
                g.add((permission, ODRL.constraint, constraint))
                g.add((constraint, ODRL.leftOperand, operand))
                g.add((constraint, ODRL.operator, ODRL.isAnyOf))
                for value in values:
                    g.add((constraint, ODRL.rightOperand, Literal(value)))
        price = dataset_dict.get("tdpf_price_jpy")
        if dataset_dict.get("tdpf_license_tier") == "paid" and price not in (None, ""):
            duty, constraint = BNode(), BNode()
            g.add((permission, ODRL.duty, duty))
            g.add((duty, ODRL.action, ODRL.compensate))
            g.add((duty, ODRL.constraint, constraint))
            g.add((constraint, ODRL.leftOperand, ODRL.payAmount))
            g.add((constraint, ODRL.operator, ODRL.eq))
            g.add((constraint, ODRL.rightOperand, Literal(int(price), datatype=XSD.decimal)))
            g.add((constraint, ODRL.unit, URIRef("http://dbpedia.org/resource/Japanese_yen")))
            if dataset_dict.get("tdpf_price_unit"):
                g.add((duty, ns.priceUnit, Literal(dataset_dict["tdpf_price_unit"])))
            for user_type in _list(dataset_dict.get("tdpf_fee_exempt_user_types")):
                g.add((duty, ns.exemptUserType, Literal(user_type)))

    def parse_dataset(self, dataset_dict: dict, dataset_ref: URIRef) -> dict:
        g, ns, root = self.g, tdpf(), base()
        for lang, title_field, notes_field in (("ja", "title", "notes"),
                                               ("en", "title_en", "notes_en")):
            for predicate, field in ((DCT.title, title_field), (DCT.description, notes_field)):
                for value in g.objects(dataset_ref, predicate):
                    if isinstance(value, Literal) and value.language == lang:
                        dataset_dict[field] = str(value)

        themes = [_last_segment(t) for t in g.objects(dataset_ref, DCAT.theme)
                  if str(t).startswith(f"{root}theme/") or "/theme/" in str(t)]
        themes = [t for t in vocab.THEMES if t in themes]
        if themes:
            dataset_dict["tdpf_theme"] = themes

        by_uri = {str(uri): key for key, uri in FREQUENCIES.items()}
        frequency = self._object(dataset_ref, DCT.accrualPeriodicity)
        if frequency is not None:
            dataset_dict["update_frequency"] = (by_uri.get(str(frequency))
                                                or vocab.normalize_frequency(str(frequency)))
        rights = {str(uri): key for key, uri in ACCESS_RIGHTS.items()}
        access = self._object(dataset_ref, DCT.accessRights)
        if access is not None and str(access) in rights:
            dataset_dict["tdpf_distribution"] = rights[str(access)]

        licenses = {self._license_uri(entry["id"]): entry["id"] for entry in vocab.licenses()}
        license_ref = self._object(dataset_ref, DCT.license)
        if license_ref is not None and URIRef(str(license_ref)) in licenses:
            dataset_dict["license_id"] = licenses[URIRef(str(license_ref))]

        for field, (name, datatype) in LITERALS.items():
            value = self._object(dataset_ref, ns[name])
            if value is not None:
                dataset_dict[field] = value.toPython() if datatype == XSD.integer else str(value)
        warranty = self._object(dataset_ref, ns.warranty)
        if warranty is not None:
            dataset_dict["tdpf_warranty"] = bool(warranty.toPython())
        source = self._object(dataset_ref, PROV.wasDerivedFrom)
        if source is not None:
            dataset_dict["tdpf_source_url"] = str(source)

        for policy in g.objects(dataset_ref, ODRL.hasPolicy):
            self._parse_policy(dataset_dict, policy)
        return dataset_dict

    def _parse_policy(self, dataset_dict: dict, policy: Any) -> None:
        g, ns = self.g, tdpf()
        description = self._object(policy, DCT.description)
        if description is not None:
            dataset_dict["tdpf_usage_conditions"] = str(description)
        for permission in g.objects(policy, ODRL.permission):
            for constraint in g.objects(permission, ODRL.constraint):
                operand = self._object(constraint, ODRL.leftOperand)
                values = sorted(str(v) for v in g.objects(constraint, ODRL.rightOperand))
                if operand == ODRL.purpose:
                    dataset_dict["tdpf_permitted_purposes"] = [
                        p for p in vocab.PURPOSES if p in values]
                elif operand == ODRL.recipient:
                    dataset_dict["tdpf_permitted_user_types"] = [
                        u for u in vocab.USER_TYPES if u in values]
            for duty in g.objects(permission, ODRL.duty):
                for constraint in g.objects(duty, ODRL.constraint):
                    if self._object(constraint, ODRL.leftOperand) == ODRL.payAmount:
                        amount = self._object(constraint, ODRL.rightOperand)
                        dataset_dict["tdpf_price_jpy"] = int(amount.toPython())
                unit = self._object(duty, ns.priceUnit)
                if unit is not None:
                    dataset_dict["tdpf_price_unit"] = str(unit)
                exempt = sorted(str(v) for v in g.objects(duty, ns.exemptUserType))
                if exempt:
                    dataset_dict["tdpf_fee_exempt_user_types"] = [
                        u for u in vocab.USER_TYPES if u in exempt]
