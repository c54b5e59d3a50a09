"""docker/: the production deployment. No Docker engine here, so we check what can be checked
for real: the compose file wires every service, the config it builds is accepted by
``ckan config validate``, and the production WSGI entry point serves CKAN under gunicorn."""
from __future__ import annotations

import configparser
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest
import requests
import yaml

from ckanext.tdpf.tests.live import free_port

ROOT = pathlib.Path(__file__).resolve().parents[3]
DOCKER = ROOT / "docker"
BIN = pathlib.Path(sys.executable).parent
CKAN_SERVICES = ("web", "worker", "cron")
BACKING_SERVICES = ("db", "solr", "redis")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


class TestCompose:
    def test_every_service_is_defined_with_a_health_check(self, compose):
        services = compose["services"]
        assert set(services) == set(CKAN_SERVICES + BACKING_SERVICES)
        for name, service in services.items():
            assert service["healthcheck"]["test"], name
            assert service["restart"] == "unless-stopped", name

    def test_ckan_services_share_one_image_and_wait_for_their_backends(self, compose):
        services = compose["services"]
        images = {services[name]["image"] for name in CKAN_SERVICES}
        assert len(images) == 1
        assert services["web"]["depends_on"] == {
            name: {"condition": "service_healthy"} for name in BACKING_SERVICES
        }
        for name in ("worker", "cron"):
            assert services[name]["depends_on"] == {"web": {"condition": "service_healthy"}}
        assert [services[name]["command"] for name in CKAN_SERVICES] == [
            ["web"], ["worker"], ["cron"]]

    def test_environment_points_at_the_backing_services(self, compose):
        env = compose["services"]["worker"]["environment"]
        assert "@db:5432/" in env["CKAN_SQLALCHEMY_URL"]
        assert env["CKAN_SOLR_URL"] == "http://solr:8983/solr/ckan"
        assert env["CKAN_REDIS_URL"].startswith("redis://redis:6379/")
        assert env["CKAN_DATASTORE_WRITE_URL"].endswith("@db:5432/datastore")
        assert env["CKAN_DATASTORE_READ_URL"].startswith("postgresql://datastore_ro:")
        init = compose["services"]["db"]["volumes"][1].split(":")[0]
        assert (DOCKER / init).is_file()
        assert compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"].startswith(
            "${POSTGRES_PASSWORD:?")

    def test_data_lives_on_named_volumes(self, compose):
        mounts = {
            mount.split(":")[1]: mount.split(":")[0]
            for service in compose["services"].values()
            for mount in service.get("volumes", [])
        }
        assert mounts["/var/lib/postgresql/data"] in compose["volumes"]
        assert mounts["/var/solr"] in compose["volumes"]
        assert mounts["/data"] in compose["volumes"]
        assert mounts["/var/lib/ckan"] in compose["volumes"]

    @pytest.mark.parametrize("dockerfile", ["Dockerfile", "solr/Dockerfile"])
    def test_every_file_the_images_copy_exists(self, dockerfile):
        for line in (DOCKER / dockerfile).read_text().splitlines():
            if line.startswith("COPY") and "--from=" not in line:
                sources = [word for word in line.split()[1:-1] if not word.startswith("--")]
                for source in sources:
                    assert (ROOT / source).exists(), f"{dockerfile}: {source}"

    def test_cron_runs_the_harvester_every_15_minutes_and_the_expiry_notices_daily(self):
        harvest, recover, notices = [line for line in (DOCKER / "crontab").read_text().splitlines()
                            if line and not line.startswith("#")]
        assert re.match(r"^\*/15 \* \* \* \* ckan \S+/ckan -c \S+ harvester run", harvest)
        assert re.match(r"^\*/15 \* \* \* \* ckan \S+/ckan -c \S+ tdpf-schema rating-recover",
                        recover)
        assert re.match(r"^0 0 \* \* \* ckan \S+/ckan -c \S+ tdpf-access notify-expiring",
                        notices)

    def test_entrypoint_is_valid_shell(self):
        subprocess.run(["bash", "-n", str(DOCKER / "entrypoint.sh")], check=True)


def test_the_config_docker_builds_is_valid(tdpf_live_site, tmp_path, compose):
    """The entrypoint's config writer, fed the compose environment (hosts swapped for the
    local services), makes a config that `ckan config validate` accepts."""
    env = dict(tdpf_live_site.env)
    env.update(CKAN_SITE_URL="https://data.example.tokyo", CKAN_SITE_ID="tdpf",
               CKAN_STORAGE_PATH=str(tmp_path / "storage"))
    ini = tmp_path / "config" / "ckan.ini"
    subprocess.run([sys.executable, str(DOCKER / "ckan_config.py"), str(ini)], env=env,
                   check=True)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini)
    app = parser["app:main"]
    assert app["ckan.plugins"] == (ROOT / "tools/plugins.txt").read_text().strip()
    assert app["ckan.locale_default"] == "ja"
    assert app["ckan.harvest.mq.redis_db"] == "2"
    # the portal named in the header, not CKAN's logo; no avatars fetched from abroad
    assert app["ckan.site_logo"] == "" and app["ckan.gravatar_default"] == "disabled"
    assert len(app["SECRET_KEY"]) >= 20
    result = subprocess.run([str(BIN / "ckan"), "-c", str(ini), "config", "validate"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Invalid" not in result.stderr


def test_the_config_writer_names_missing_variables(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CKAN_")}
    result = subprocess.run([sys.executable, str(DOCKER / "ckan_config.py"),
                             str(tmp_path / "ckan.ini")], env=env, capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert "CKAN_SITE_URL" in result.stderr and "CKAN_SOLR_URL" in result.stderr
    assert not (tmp_path / "ckan.ini").exists()


def test_gunicorn_serves_ckan_through_the_production_wsgi_entry(tdpf_live_site):
    port = free_port()
    env = dict(tdpf_live_site.env, CKAN_INI=str(tdpf_live_site.ini))
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--chdir", str(DOCKER), "wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/3/action/status_show",
                                        timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.5)
        assert response.json()["result"]["extensions"][:3] == [
            "tdpf_schema", "tdpf_harvest", "tdpf_access"]
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def scale():
    return yaml.safe_load((DOCKER / "compose.scale.yaml").read_text())


class TestScaleOutCompose:
    """docker/compose.scale.yaml (README "Scale-out"), checked statically like compose.yaml;
    the same topology runs for real in tools/stack.sh cloud-up and its tests."""

    def test_every_long_running_service_has_a_health_check_and_restarts(self, scale):
        for name, service in scale["services"].items():
            if name == "solr-init":
                assert service["restart"] == "no"
                continue
            assert service["healthcheck"]["test"], name
            assert service["restart"] == "unless-stopped", name

    def test_solrcloud_on_a_three_node_zookeeper_ensemble(self, scale):
        services = scale["services"]
        zoos = sorted(name for name in services if name.startswith("zoo"))
        assert zoos == ["zoo1", "zoo2", "zoo3"]
        ensemble = services["zoo1"]["environment"]["ZOO_SERVERS"].split()
        assert [entry.split("=")[0] for entry in ensemble] == ["server.1", "server.2",
                                                               "server.3"]
        assert sorted(services[name]["environment"]["ZOO_MY_ID"] for name in zoos) == [1, 2, 3]
        nodes = sorted(name for name in services if re.fullmatch(r"solr\d", name))
        assert len(nodes) >= 2
        for name in nodes:
            assert services[name]["image"].startswith("solr:9.")  # the official image
            assert services[name]["environment"]["ZK_HOST"] == (
                "zoo1:2181,zoo2:2181,zoo3:2181")
        # CKAN talks to one address: the balancer of every node
        lb = (DOCKER / "nginx/scale-solr-lb.conf").read_text()
        assert all(f"server {name}:8983" in lb for name in nodes)
        env = services["web"]["environment"]
        assert env["CKAN_SOLR_URL"] == "http://solr-lb:8983/solr/ckan"

    def test_the_collection_is_ckans_schema_with_two_replicas(self, scale):
        init = scale["services"]["solr-init"]
        assert init["build"]["dockerfile"] == "docker/solr/Dockerfile.cloud"
        assert int(init["environment"]["SOLR_REPLICAS"].split(":-")[1].rstrip("}")) >= 2
        dockerfile = (DOCKER / "solr/Dockerfile.cloud").read_text()
        assert "ckan==2.12.0" in dockerfile and "ckan/config/solr/schema.xml" in dockerfile
        script = (DOCKER / "solr/create-collection.sh").read_text()
        assert "solr zk upconfig" in script
        assert "replicationFactor=$replicas" in script
        subprocess.run(["bash", "-n", str(DOCKER / "solr/create-collection.sh")], check=True)
        assert scale["services"]["web"]["depends_on"]["solr-init"] == {
            "condition": "service_completed_successfully"}

    def test_web_replicas_behind_the_proxy_and_workers_and_consumers_apart(self, scale):
        services = scale["services"]
        assert "ports" not in services["web"]  # only the proxy is published
        assert services["proxy"]["ports"]
        assert "server web:5000 resolve" in (DOCKER / "nginx/scale-proxy.conf").read_text()
        images = {services[name]["image"] for name in ("web", "jobs", "gather", "fetch",
                                                       "cron")}
        assert len(images) == 1
        assert [services[name]["command"] for name in ("web", "jobs", "gather", "fetch")] == [
            ["web"], ["jobs"], ["gather"], ["fetch"]]
        for name in ("web", "jobs", "fetch"):
            assert services[name]["deploy"]["replicas"], name
        entrypoint = (DOCKER / "entrypoint.sh").read_text()
        for role in ("jobs)", "gather)", "fetch)"):
            assert f"\n  {role}\n" in entrypoint, role
        assert "socket_timeout=" in entrypoint  # consumers survive an idle queue

    def test_uploads_on_one_shared_volume(self, scale):
        services = scale["services"]
        for name in ("web", "jobs", "gather", "fetch"):
            assert "ckan_storage:/var/lib/ckan" in services[name]["volumes"], name
        assert services["web"]["environment"]["CKAN_STORAGE_PATH"] == "/var/lib/ckan"

    def test_datastore_reads_go_to_a_streaming_replica(self, scale):
        services = scale["services"]
        env = services["web"]["environment"]
        assert "@db:5432/datastore" in env["CKAN_DATASTORE_WRITE_URL"]
        assert "@db-replica:5432/datastore" in env["CKAN_DATASTORE_READ_URL"]
        replica = services["db-replica"]
        script = replica["volumes"][1].split(":")[0]
        text = (DOCKER / script).read_text()
        assert "pg_basebackup" in text and " -R " in text and "hot_standby=on" in text
        subprocess.run(["bash", "-n", str(DOCKER / script)], check=True)
        primary_init = [v.split(":")[0] for v in services["db"]["volumes"][1:]]
        assert all((DOCKER / path).is_file() for path in primary_init)
        assert any("REPLICATION" in (DOCKER / path).read_text() for path in primary_init)
        assert "pg_is_in_recovery" in " ".join(replica["healthcheck"]["test"])

    def test_every_file_the_scale_out_images_copy_exists(self):
        for line in (DOCKER / "solr/Dockerfile.cloud").read_text().splitlines():
            if line.startswith("COPY") and "--from=" not in line:
                for source in [w for w in line.split()[1:-1] if not w.startswith("--")]:
                    assert (ROOT / source).exists(), source
        assert "docker/healthcheck.py" in (DOCKER / "Dockerfile").read_text()
