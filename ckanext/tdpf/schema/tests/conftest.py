from __future__ import annotations

import http.server
import pathlib
import sys
import threading
from typing import Iterator

import pytest

from ckan.tests import factories, helpers

from ckanext.tdpf.tests.db import migrate_mapped_harvest

DATAFILES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "datafiles"
PLUGINS = "tdpf_schema scheming_datasets scheming_organizations"


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    """CKAN's reset drops plugin tables; bring ours back."""
    reset_db()
    migrate_db_for("tdpf_schema")
    migrate_mapped_harvest()


@pytest.fixture
def tdpf_sysadmin(clean_db) -> dict:
    return factories.Sysadmin()


@pytest.fixture
def tdpf_org(tdpf_sysadmin):
    """Make an organization; by default a municipality, 江東区."""
    def make(**fields):
        data = {"name": "t131083", "title": "江東区", "tdpf_provider_type": "municipality",
                "municipality_code": "131083"}
        data.update(fields)
        return helpers.call_action("organization_create",
                                   context={"user": tdpf_sysadmin["name"]}, **data)
    return make


class FileServer(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    """A test's file server that says nothing when a client hangs up early (a fetch that
    stopped at its size or time limit, a kept-alive connection closed): socketserver would
    print the traceback to whatever sys.stderr is then, e.g. a CLI test's captured output."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def tdpf_file_server() -> Iterator[str]:
    """The real municipal files, served over HTTP on loopback."""
    handler = lambda *args, **kwargs: FileServer(*args, directory=str(DATAFILES), **kwargs)  # noqa
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
