"""Stock CKAN's index build on every core: ``python bench/stock_reindex.py <ini>``.

What ``ckan search-index rebuild-fast`` means to do, with CKAN's own ``search.rebuild``:
the active datasets split into a part per core, each indexed by a process of its own, one
commit at the end. (CKAN 2.12's ``rebuild-fast`` forks its processes with the parent's
database connection; one of them fails and its part is never indexed.)
"""
from __future__ import annotations

import os
import subprocess
import sys

from bench_site import app_for  # (this script's folder is first on sys.path)


def _ids() -> list[str]:
    import ckan.model as model

    return [row.id for row in model.Session.query(model.Package.id)
            .filter(model.Package.state == "active").order_by(model.Package.id)]


def main(ini: str, part: int | None = None, parts: int | None = None) -> None:
    app = app_for(ini)
    from ckan.lib import search

    with app.test_request_context():
        if part is not None:
            search.rebuild(package_ids=_ids()[part::parts], quiet=True)
            return
        parts = os.cpu_count() or 1
        processes = [subprocess.Popen([sys.executable, __file__, ini, str(number), str(parts)])
                     for number in range(parts)]
        failed = [process.args for process in processes if process.wait() != 0]
        if failed:
            sys.exit(f"failed: {failed}")
        search.commit()


if __name__ == "__main__":
    main(sys.argv[1], *(int(value) for value in sys.argv[2:4]))
