"""Address → coordinates, offline: a plugin's geocoder, or jageocoder with its dictionary.

Nothing here calls a network service. A site that wants coordinates filled in for addresses
either enables a plugin implementing ``IGeocoder`` (its own gazetteer, on the site), or
installs jageocoder (https://github.com/t-sagara/jageocoder, MIT; its address
dictionary is built from the Digital Agency's アドレス・ベース・レジストリ and others, 20 GB or
more) with a dictionary on the server, in a directory of its own::

    pip install jageocoder==2.2.1.1
    jageocoder download-dictionary <a dictionary .zip from jageocoder's download page>
    jageocoder install-dictionary -y --db-dir=/var/lib/ckan/jageocoder <that .zip>

and sets::

    ckanext.tdpf.prep.geocoder = jageocoder
    ckanext.tdpf.prep.jageocoder_db_dir = /var/lib/ckan/jageocoder

jageocoder is read only from that directory (its ``LocalTree``): never its server mode, never
a ``JAGEOCODER_SERVER_URL`` from the environment. Without the package or the dictionary the
site has no geocoder, and says so in its log. jageocoder is not a dependency of this package.
"""
from __future__ import annotations

import functools
import logging
import math
import pathlib
from typing import Callable, Optional

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import coordinates

log = logging.getLogger(__name__)

Geocode = Callable[[str], Optional[tuple[float, float]]]
# jageocoder's levels: 1 prefecture, 3 city, 4 ward, 5 大字/町, 6 字/丁目, 7 街区, 8 住居.
# A point only of the city (its centroid) is not a facility's place.
JAGEOCODER_MIN_LEVEL = 5


class IGeocoder(p.Interface):
    """Coordinates of a Japanese address, without sending it anywhere outside the site."""

    def geocode(self, address: str) -> Optional[tuple[float, float]]:
        """``(latitude, longitude)`` of ``address`` (the normalized 所在地_連結表記, e.g.
        ``東京都渋谷区神南一丁目19-8``), or None when it is not found precisely enough."""
        return None


def _checked(geocode: Geocode, who: str) -> Geocode:
    """``geocode`` that never raises and returns only (latitude, longitude) in Japan."""

    def checked(address: str) -> Optional[tuple[float, float]]:
        if not isinstance(address, str) or not address.strip():
            return None
        try:
            found = geocode(address)
        except Exception:  # noqa: BLE001 - a geocoder's failure is "not found", logged
            log.warning("geocoder %s failed on %r", who, address, exc_info=True)
            return None
        if found is None:
            return None
        try:
            lat, lon = (float(value) for value in found)
        except (TypeError, ValueError):
            log.warning("geocoder %s returned %r for %r", who, found, address)
            return None
        finite = math.isfinite(lat) and math.isfinite(lon)
        if not finite or not coordinates.in_japan(lat, lon):
            # jageocoder gives 999.9 for an address it knows without coordinates
            log.warning("geocoder %s returned %r for %r: not in Japan", who, found, address)
            return None
        return lat, lon

    return checked


@functools.lru_cache(maxsize=4)
def _jageocoder(db_dir: str) -> Optional[Geocode]:
    """jageocoder on the dictionary in ``db_dir``, or None (logged) when it cannot be."""
    if not db_dir:
        log.warning("ckanext.tdpf.prep.geocoder is jageocoder but "
                    "ckanext.tdpf.prep.jageocoder_db_dir is not set: no geocoder")
        return None
    try:
        from jageocoder.local import LocalTree  # type: ignore[import-not-found]
    except ImportError:
        log.warning("ckanext.tdpf.prep.geocoder is jageocoder but the jageocoder package "
                    "is not installed: no geocoder")
        return None
    if not (pathlib.Path(db_dir) / "address.trie").is_file():
        log.warning("no jageocoder dictionary in %s (no address.trie): no geocoder", db_dir)
        return None
    try:
        tree = LocalTree(db_dir=db_dir, mode="r")
    except Exception:  # noqa: BLE001 - a missing or broken dictionary: no geocoder
        log.warning("no jageocoder dictionary in %s: no geocoder", db_dir, exc_info=True)
        return None

    def geocode(address: str) -> Optional[tuple[float, float]]:
        results = tree.searchNode(address)
        if not results:
            return None
        node = results[0].get_node()
        if node.level < JAGEOCODER_MIN_LEVEL:
            return None
        return node.y, node.x

    return geocode


def geocoder() -> Optional[Geocode]:
    """The site's geocoder: a plugin implementing ``IGeocoder`` (the first one enabled), else
    jageocoder when configured and installed, else None."""
    for plugin in p.PluginImplementations(IGeocoder):
        return _checked(plugin.geocode, plugin.name)
    if tk.config.get("ckanext.tdpf.prep.geocoder") == "jageocoder":
        found = _jageocoder(tk.config.get("ckanext.tdpf.prep.jageocoder_db_dir") or "")
        return _checked(found, "jageocoder") if found else None
    return None
