"""Write the CKAN config of a TDPF site from environment variables.

One writer for every deployment: ``docker/`` runs it at container start, ``tools/stack.sh``
for the local stack. ``ckan generate config`` makes the file once (with fresh secrets);
every later run re-applies the settings below, so the file follows the environment.

Required: CKAN_SITE_URL, CKAN_SQLALCHEMY_URL, CKAN_SOLR_URL, CKAN_REDIS_URL.
Optional: CKAN_DATASTORE_WRITE_URL and CKAN_DATASTORE_READ_URL (the DataStore), CKAN_STORAGE_PATH, CKAN_SITE_ID, CKAN_PLUGINS (default: tools/plugins.txt),
TDPF_EXTRA_CONFIG (``key=value`` lines applied last).
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import urllib.parse

HERE = pathlib.Path(__file__).resolve().parent
PLUGINS_FILE = HERE.parent / "tools" / "plugins.txt"
REQUIRED = ("CKAN_SITE_URL", "CKAN_SQLALCHEMY_URL", "CKAN_SOLR_URL", "CKAN_REDIS_URL")


def settings(env: dict[str, str]) -> list[str]:
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise SystemExit(f"missing environment variables: {', '.join(missing)}")
    redis = urllib.parse.urlsplit(env["CKAN_REDIS_URL"])
    plugins = env.get("CKAN_PLUGINS") or PLUGINS_FILE.read_text().strip()
    values = {
        "sqlalchemy.url": env["CKAN_SQLALCHEMY_URL"],
        "ckan.datastore.write_url": env.get("CKAN_DATASTORE_WRITE_URL", ""),
        "ckan.datastore.read_url": env.get("CKAN_DATASTORE_READ_URL", ""),
        "solr_url": env["CKAN_SOLR_URL"],
        "ckan.redis.url": env["CKAN_REDIS_URL"],
        "ckan.site_url": env["CKAN_SITE_URL"],
        "ckan.site_id": env.get("CKAN_SITE_ID", "tdpf"),
        "ckan.site_title": "東京データプラットフォーム",
        # The header names the portal in text, not with CKAN's own logo.
        "ckan.site_logo": "",
        # No avatars from gravatar.com: no user's e-mail hash leaves for a service abroad, and
        # no broken image reading "Gravatar" where the site cannot reach it.
        "ckan.gravatar_default": "disabled",
        "ckan.locale_default": "ja",
        "ckan.locales_offered": "ja en",
        "ckan.display_timezone": "Asia/Tokyo",
        "ckan.storage_path": env.get("CKAN_STORAGE_PATH", "/var/lib/ckan"),
        "ckan.plugins": plugins,
        "scheming.dataset_fallback": "false",
        "ckanext.dcat.rdf.profiles": "euro_dcat_ap_3 tdpf",
        "ckan.views.default_views": "image_view text_view",
        # Users apply for organizations; operators verify and create them (SPEC §4).
        "ckan.auth.user_create_organizations": "false",
        "ckan.auth.public_user_details": "false",
        # ckanext-harvest reads its queue from its own keys, not from ckan.redis.url
        "ckan.harvest.mq.type": "redis",
        "ckan.harvest.mq.hostname": redis.hostname or "127.0.0.1",
        "ckan.harvest.mq.port": str(redis.port or 6379),
        "ckan.harvest.mq.redis_db": (redis.path or "/0").lstrip("/") or "0",
    }
    lines = [f"{key}={value}" for key, value in values.items()]
    lines += [line for line in env.get("TDPF_EXTRA_CONFIG", "").splitlines() if "=" in line]
    return lines


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: ckan_config.py OUTPUT.ini")
    output = pathlib.Path(sys.argv[1])
    ckan = shutil.which("ckan", path=str(pathlib.Path(sys.executable).parent)) or "ckan"
    lines = settings(dict(os.environ))
    if not output.exists():
        output.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([ckan, "generate", "config", str(output)], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run([ckan, "config-tool", str(output), *lines], check=True,
                   stdout=subprocess.DEVNULL)
    storage = dict(line.split("=", 1) for line in lines)["ckan.storage_path"]
    pathlib.Path(storage).mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main()
