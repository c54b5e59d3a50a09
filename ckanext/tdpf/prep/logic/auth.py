"""Who may ask to prepare a resource's file: a logged-in user. Whether the caller edits the
resource's dataset (CKAN's ``package_update``: its editors and sysadmins) is checked by the
action, which answers a resource the caller may not prepare exactly as one that does not
exist (a field error naming ``resource_id``), so preparing tells nobody what a shared
dataset holds. Never raises."""
from __future__ import annotations

from ckan.types import AuthResult, Context, DataDict

from ckanext.tdpf.lib.i18n import N_, bilingual

__all__ = ["tdpf_prep_preview", "tdpf_prep_publish"]


def _logged_in(context: Context) -> AuthResult:
    if context.get("user"):
        return {"success": True}
    return {"success": False, "msg": bilingual(N_("You must be logged in."))}


def tdpf_prep_preview(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)


def tdpf_prep_publish(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)
