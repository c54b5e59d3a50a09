"""Jobs the test suite enqueues; a real ``ckan jobs worker`` process imports and runs them."""
from __future__ import annotations

import ckan.plugins.toolkit as tk


def mark_dataset_processed(name: str, note: str) -> None:
    """Change a dataset from the worker, so the test sees the job ran inside CKAN."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    tk.get_action("package_patch")(
        {"user": site_user["name"], "ignore_auth": True}, {"id": name, "notes": note}
    )
