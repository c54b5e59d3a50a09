"""The one guard on user-given URLs (rating and preparing downloads)."""
import http.server
import threading

import pytest
import requests
import urllib3

from ckanext.tdpf.lib import netguard


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5000/api/3/action/status_show",
    "http://10.0.0.8/file.csv",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "http://[::1]:8983/solr/",
    "http://[fe80::1]/",
    "http://0.0.0.0/",
    "https://100.64.0.1/",  # carrier-grade NAT
    "http://[::ffff:127.0.0.1]/",  # IPv4 loopback written as IPv6
    "http://[64:ff9b::7f00:1]/",  # the loopback through a NAT64 gateway
    "http://[64:ff9b::a9fe:a9fe]/",  # the metadata service through NAT64
    "http://[::10.0.0.8]/",  # IPv4-compatible
    "http://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
])
def test_internal_addresses_are_refused(url):
    assert netguard.refusal(url, allow_private=False) == netguard.FORBIDDEN


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "64:ff9b::808:808"])
def test_public_addresses_count_as_global(address):
    assert netguard._is_global(address)


def test_the_operator_may_allow_them():
    assert netguard.refusal("http://127.0.0.1/x.csv", allow_private=True) is None


@pytest.mark.parametrize("url", ["ftp://8.8.8.8/x.csv", "file:///etc/passwd", "data.csv",
                                 "http:///x.csv", "javascript:alert(1)"])
def test_what_is_no_http_url_is_unreachable(url):
    assert netguard.refusal(url, allow_private=True) == netguard.UNREACHABLE


def test_a_public_address_passes():
    assert netguard.refusal("https://8.8.8.8/x.csv", allow_private=False) is None


def test_a_name_that_does_not_resolve():
    assert netguard.refusal("http://no-such-host.invalid/x.csv",
                            allow_private=False) == netguard.UNRESOLVED


@pytest.fixture
def local_server():
    """An HTTP server on the loopback address that counts the requests it was sent."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/file.csv", seen
    server.shutdown()
    server.server_close()


def test_a_guarded_connection_to_an_internal_address_sends_nothing(local_server):
    """What a name resolves to when connected is checked again (DNS rebinding): here the
    check before the request is left out, as a rebound name would pass it."""
    url, seen = local_server
    manager = netguard.guard(urllib3.PoolManager(retries=False), allow_private=False)
    with pytest.raises(netguard.ForbiddenAddress):
        manager.request("GET", url)
    with pytest.raises(netguard.ForbiddenAddress):  # (before any TLS handshake)
        manager.request("GET", url.replace("http:", "https:"))
    session = requests.Session()
    session.mount("http://", netguard.GuardedAdapter())
    with pytest.raises(netguard.ForbiddenAddress):
        session.get(url)
    assert seen == []


def test_an_allowed_internal_address_is_connected(local_server):
    url, seen = local_server
    manager = netguard.guard(urllib3.PoolManager(retries=False), allow_private=True)
    assert manager.request("GET", url).data == b"ok"
    assert seen == ["/file.csv"]


@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.allow_private_addresses", False)
@pytest.mark.ckan_config("ckanext.tdpf.prep.allow_private_addresses", False)
@pytest.mark.ckan_config("ckan.plugins", "tdpf_schema tdpf_prep scheming_datasets")
@pytest.mark.usefixtures("with_plugins")
def test_rating_and_preparing_downloads_connect_through_the_guard(local_server,
                                                                  monkeypatch):
    """Both downloads, with the check before the request passed as a rebound name would
    pass it: refused as forbidden_address, and the server is sent nothing."""
    from ckanext.tdpf.prep import fetch as prep_fetch
    from ckanext.tdpf.schema import fetch as rating_fetch

    url, seen = local_server
    with pytest.raises(rating_fetch.FetchError) as refused:
        rating_fetch._get(rating_fetch.pool(), url, {}, 5)
    assert refused.value.code == "forbidden_address"
    monkeypatch.setattr(prep_fetch, "_check_address", lambda url: None)
    with pytest.raises(prep_fetch.FetchError) as refused:
        prep_fetch._download(url, 100)
    assert refused.value.code == "forbidden_address"
    assert seen == []
