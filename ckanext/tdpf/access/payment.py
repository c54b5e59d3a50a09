"""The one interface a payment provider implements. TDPF itself processes no cards: the
default provider only records charges, which providers invoice from the CSV export."""
from __future__ import annotations

import importlib
import logging
from typing import Protocol

import ckan.plugins.toolkit as tk

from .model import Charge

log = logging.getLogger(__name__)


class PaymentProvider(Protocol):
    def charge_created(self, charge: Charge) -> None:
        """A grant of paid data created a charge (state ``due``, or ``waived`` when exempt)."""

    def charge_updated(self, charge: Charge) -> None:
        """A provider or operator moved a charge to another state."""


class RecordOnly:
    """Keeps charges in the database and nothing else."""

    def charge_created(self, charge: Charge) -> None:
        log.info("charge %s: %s yen (%s)", charge.id, charge.amount_jpy, charge.state)

    def charge_updated(self, charge: Charge) -> None:
        log.info("charge %s is now %s", charge.id, charge.state)


def provider() -> PaymentProvider:
    """``ckanext.tdpf.access.payment_provider`` names a class as ``module:Class``."""
    path = tk.config["ckanext.tdpf.access.payment_provider"]
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)()
