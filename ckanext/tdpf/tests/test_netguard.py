"""The one guard on user-given URLs (rating and preparing downloads)."""
import pytest

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
])
def test_internal_addresses_are_refused(url):
    assert netguard.refusal(url, allow_private=False) == netguard.FORBIDDEN


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
