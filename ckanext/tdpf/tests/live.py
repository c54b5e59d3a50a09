"""A live CKAN site for tests that must cross a real HTTP boundary (browser, WSGI, workers).

It runs ``ckan run`` with the suite's production plugin list on its own database, Solr core
and Redis database, so the unit tests' resets never pull data from under it, and it never
touches the dev stack's data.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.parse
from typing import Any, Iterator

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[3]
CKAN = str(pathlib.Path(sys.executable).with_name("ckan"))
PLUGINS = (ROOT / "tools/plugins.txt").read_text().strip()
RATE_LIMIT, RATE_WINDOW = 40, 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_env(database: str, core: str, redis_db: int) -> dict[str, str]:
    """The test run's service URLs (exported by tools/stack.sh), pointed at other stores."""
    env = os.environ.copy()
    db = urllib.parse.urlsplit(env["CKAN_SQLALCHEMY_URL"])
    solr = urllib.parse.urlsplit(env["CKAN_SOLR_URL"])
    redis = urllib.parse.urlsplit(env["CKAN_REDIS_URL"])
    env["CKAN_SQLALCHEMY_URL"] = db._replace(path=f"/{database}").geturl()
    env["CKAN_SOLR_URL"] = solr._replace(path=f"/solr/{core}").geturl()
    env["CKAN_REDIS_URL"] = redis._replace(path=f"/{redis_db}").geturl()
    datastore_db = "datastore_" + database.removeprefix("ckan_")
    for key in ("CKAN_DATASTORE_WRITE_URL", "CKAN_DATASTORE_READ_URL"):
        env[key] = urllib.parse.urlsplit(env[key])._replace(path=f"/{datastore_db}").geturl()
    return env


@dataclasses.dataclass
class LiveSite:
    url: str
    ini: pathlib.Path
    env: dict[str, str]
    token: str
    logs: pathlib.Path

    def ckan(self, *args: str) -> str:
        """Run the ckan CLI against this site's config."""
        result = subprocess.run(
            [CKAN, "-c", str(self.ini), *args],
            env=self.env, capture_output=True, text=True, timeout=300,
        )
        if result.returncode:
            raise AssertionError(f"ckan {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def action(self, action: str, /, token: str | None = None, **data: Any) -> dict:
        response = requests.post(
            f"{self.url}/api/3/action/{action}", json=data, timeout=60,
            headers={"Authorization": token or self.token},
        )
        body = response.json()
        if not body.get("success"):
            raise AssertionError(f"{action} failed ({response.status_code}): {body.get('error')}")
        return body["result"]

    def staff_of(self, organization: str, user: str, password: str, email: str,
                 **fields: Any) -> None:
        """An organization (made with ``fields`` unless the site has it: the site lives for
        the whole run, and several journeys use one municipality) and an editor of it."""
        try:
            self.action("organization_show", id=organization)
        except AssertionError:
            self.action("organization_create", name=organization, **fields)
        try:
            self.action("user_show", id=user)
        except AssertionError:
            self.ckan("user", "add", user, f"email={email}", f"password={password}")
        self.action("organization_member_create", id=organization, username=user,
                    role="editor")


def _wait_for(url: str, process: subprocess.Popen, log: pathlib.Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in 120 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def tdpf_live_site(tmp_path_factory) -> Iterator[LiveSite]:
    folder = tmp_path_factory.mktemp("live-site")
    port = free_port()
    env = service_env("ckan_live_test", "ckan_live_test", 2)
    ini = folder / "live.ini"
    ini.write_text(
        "[app:main]\n"
        f"use = config:{ROOT / 'test.ini'}\n"
        f"ckan.plugins = {PLUGINS}\n"
        f"ckan.site_url = http://127.0.0.1:{port}\n"
        f"ckan.storage_path = {folder / 'storage'}\n"
        "scheming.dataset_fallback = false\n"
        # the API gateway's limits, low enough to reach in a test (test_ratelimit.py)
        f"ckanext.tdpf.access.rate_limit.anonymous = {RATE_LIMIT}\n"
        f"ckanext.tdpf.access.rate_limit.authenticated = {RATE_LIMIT}\n"
        f"ckanext.tdpf.access.rate_limit.window = {RATE_WINDOW}\n"
        "ckanext.tdpf.access.rate_limit.trusted_proxies = 127.0.0.1\n"
    )
    site = LiveSite(f"http://127.0.0.1:{port}", ini, env, "", folder)
    site.ckan("db", "clean", "--yes")
    site.ckan("db", "upgrade")
    site.ckan("search-index", "clear")
    site.ckan("user", "add", "live_admin", "email=live_admin@example.invalid",
              "password=live-admin-password")
    site.ckan("sysadmin", "add", "live_admin")
    site.token = site.ckan("user", "token", "add", "live_admin", "tests").strip().splitlines()[-1].strip()

    log = folder / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [CKAN, "-c", str(ini), "run", "-H", "127.0.0.1", "-p", str(port),
             "--disable-reloader"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(f"{site.url}/api/3/action/status_show", server, log)
        yield site
    finally:
        server.terminate()
        server.wait(timeout=30)


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def tdpf_browser():
    """Debian's Chromium, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()
