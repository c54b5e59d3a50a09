"""The site's geocoder: a plugin implementing IGeocoder, else jageocoder when configured and
installed, else none; nothing reaches the network."""
from __future__ import annotations

import contextlib
import importlib.util
import logging
import socket

import pytest

import ckan.plugins as p

from ckanext.tdpf.lib import address, coordinates
from ckanext.tdpf.prep import geocoding
from ckanext.tdpf.prep.geocoding import IGeocoder, geocoder

# A gazetteer the test provides: normalized 連結表記 → (latitude, longitude)
GAZETTEER = {
    "東京都渋谷区宇田川町1-1": (35.66388, 139.69777),
    "東京都江東区東陽四丁目11-28": (35.67296, 139.81704),
}


class GazetteerGeocoder(p.SingletonPlugin):
    p.implements(IGeocoder)
    asked: list[str] = []

    def geocode(self, address: str):
        self.asked.append(address)
        return GAZETTEER.get(address)


class BrokenGeocoder(p.SingletonPlugin):
    p.implements(IGeocoder)

    def geocode(self, address: str):
        if address.startswith("東京都渋谷区"):
            raise RuntimeError("the gazetteer is down")
        if address.startswith("東京都江東区"):
            return ("not", "numbers")
        if address.startswith("東京都新宿区"):
            return (139.7, 35.69)  # the wrong way round
        return (999.9, 999.9)  # jageocoder's "no coordinates"


@contextlib.contextmanager
def no_network():
    """Any connection attempt inside fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network connection attempted: {args}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        yield


@pytest.mark.ckan_config("ckan.plugins", "tdpf_prep tdpf_test_gazetteer")
@pytest.mark.provide_plugin("tdpf_test_gazetteer", GazetteerGeocoder)
@pytest.mark.usefixtures("with_plugins")
class TestPluginGeocoder:
    def test_the_plugin_is_the_geocoder(self):
        GazetteerGeocoder.asked.clear()
        with no_network():
            geocode = geocoder()
            found = address.normalize("宇田川町1番1号", "131130")
            assert geocode(found.text) == (35.66388, 139.69777)
            assert geocode("東京都江東区東陽4-11-28") is None  # asked what it is given
            normalized = address.normalize("東京都江東区東陽4-11-28").text
            assert geocode(normalized) == (35.67296, 139.81704)
        assert GazetteerGeocoder.asked == ["東京都渋谷区宇田川町1-1", "東京都江東区東陽4-11-28",
                                           "東京都江東区東陽四丁目11-28"]

    @pytest.mark.ckan_config("ckanext.tdpf.prep.geocoder", "jageocoder")
    @pytest.mark.ckan_config("ckanext.tdpf.prep.jageocoder_db_dir", "/nonexistent")
    def test_a_plugin_comes_before_jageocoder(self):
        GazetteerGeocoder.asked.clear()
        with no_network():
            assert geocoder()("東京都渋谷区宇田川町1-1") == (35.66388, 139.69777)
        assert GazetteerGeocoder.asked == ["東京都渋谷区宇田川町1-1"]

    def test_a_missing_point_filled_from_the_address(self):
        found = address.normalize("宇田川町１番１号", "131130")
        with no_network():
            point = geocoder()(found.text)
        lat, lon, findings = coordinates.geocoded(found.text, point, found.lgcode, found.town)
        assert (lat, lon) == ("35.663880", "139.697770")
        assert [f.code for f in findings] == ["geocoded"]

    def test_empty_address_is_not_asked(self):
        GazetteerGeocoder.asked.clear()
        assert geocoder()("  ") is None
        assert geocoder()(None) is None
        assert GazetteerGeocoder.asked == []



@pytest.fixture
def caplog(caplog):
    """The geocoding log as these tests read it, whatever ran before: a test that loads
    CKAN's logging configuration in this process (a CLI test) disables the loggers made
    before it and stops ``ckanext`` records at its own handler, before pytest's."""
    logger = logging.getLogger("ckanext.tdpf.prep.geocoding")
    disabled, level = logger.disabled, logger.level
    logger.disabled = False
    logger.setLevel(logging.INFO)
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.disabled, logger.level = disabled, level

@pytest.mark.ckan_config("ckan.plugins", "tdpf_prep tdpf_test_broken_geocoder")
@pytest.mark.provide_plugin("tdpf_test_broken_geocoder", BrokenGeocoder)
@pytest.mark.usefixtures("with_plugins")
def test_a_failing_geocoder_finds_nothing(caplog):
    geocode = geocoder()
    assert geocode("東京都渋谷区宇田川町1-1") is None
    assert geocode("東京都江東区東陽四丁目11-28") is None
    assert geocode("東京都新宿区西新宿二丁目8-1") is None
    assert geocode("東京都利島村248") is None
    assert "the gazetteer is down" in caplog.text
    assert "not in Japan" in caplog.text


@pytest.mark.ckan_config("ckan.plugins", "tdpf_prep")
@pytest.mark.usefixtures("with_plugins")
class TestWithoutPlugin:
    def test_none_by_default(self):
        with no_network():
            assert geocoder() is None

    @pytest.mark.skipif(importlib.util.find_spec("jageocoder") is not None,
                        reason="jageocoder is installed here")
    @pytest.mark.ckan_config("ckanext.tdpf.prep.geocoder", "jageocoder")
    @pytest.mark.ckan_config("ckanext.tdpf.prep.jageocoder_db_dir", "/srv/jageocoder/db2")
    def test_jageocoder_not_installed(self, caplog):
        geocoding._jageocoder.cache_clear()
        with no_network():
            assert geocoder() is None
        assert "jageocoder package is not installed" in caplog.text

    @pytest.mark.ckan_config("ckanext.tdpf.prep.geocoder", "jageocoder")
    def test_jageocoder_without_its_dictionary_directory(self, caplog):
        geocoding._jageocoder.cache_clear()
        with no_network():
            assert geocoder() is None
        assert "jageocoder_db_dir is not set" in caplog.text

    @pytest.mark.skipif(importlib.util.find_spec("jageocoder") is None,
                        reason="jageocoder is not installed here")
    @pytest.mark.ckan_config("ckanext.tdpf.prep.geocoder", "jageocoder")
    def test_jageocoder_with_an_empty_dictionary_directory(self, tmp_path, ckan_config,
                                                           caplog):
        ckan_config["ckanext.tdpf.prep.jageocoder_db_dir"] = str(tmp_path)
        geocoding._jageocoder.cache_clear()
        with no_network():
            assert geocoder() is None
        assert "no jageocoder dictionary" in caplog.text
