"""Template helpers of tdpf_access."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

__all__ = ["tdpf_access_state_label"]


def tdpf_access_state_label(state: str) -> str:
    labels = {"pending": tk._("Pending"), "approved": tk._("Approved"),
              "rejected": tk._("Rejected"), "withdrawn": tk._("Withdrawn"),
              "due": tk._("Due"), "paid": tk._("Paid"), "waived": tk._("Waived")}
    return labels.get(state, state)
