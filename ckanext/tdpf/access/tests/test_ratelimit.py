"""The API's rate limits, with real traffic against a real ``ckan run``: per client address
for anonymous calls (behind a trusted proxy, the address it forwards), per API token for
authenticated ones, 429 with Retry-After and a bilingual message past the limit."""
from __future__ import annotations

import time
import uuid

import requests

from ckanext.tdpf.tests.live import RATE_LIMIT, RATE_WINDOW


def fresh_window() -> None:
    """Start a burst well inside one fixed window, so that it is counted in one."""
    left = RATE_WINDOW - time.time() % RATE_WINDOW
    if left < 10:
        time.sleep(left + 0.5)


def burst(site, count: int, **headers: str) -> list[requests.Response]:
    with requests.Session() as session:
        return [session.get(f"{site.url}/api/3/action/status_show", headers=headers,
                            timeout=30) for _ in range(count)]


def client(number: int) -> dict[str, str]:
    """A client behind the trusted proxy (documentation addresses, RFC 5737), unique to the
    test run so that no other test shares its counter. The proxy appends the address it
    saw; what the client wrote before it (the first entry) is not trusted."""
    return {"X-Forwarded-For": f"198.51.100.{number}, 203.0.113.{uuid.uuid4().int % 250}"}


def user_token(site) -> str:
    name = "ratelimit_" + uuid.uuid4().hex[:8]
    site.ckan("user", "add", name, f"email={name}@example.invalid", "password=rate-limit-pw1")
    return site.ckan("user", "token", "add", name, "api").strip().splitlines()[-1].strip()


def assert_limited(response: requests.Response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= RATE_WINDOW
    body = response.json()
    assert body["success"] is False
    message = body["error"]["message"]
    assert "リクエストが多すぎます" in message and "Too many requests" in message


def test_anonymous_calls_are_limited_per_client_address(tdpf_live_site):
    site = tdpf_live_site
    fresh_window()
    address = client(1)
    answers = burst(site, RATE_LIMIT + 1, **address)
    assert [r.status_code for r in answers[:RATE_LIMIT]] == [200] * RATE_LIMIT
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in answers[:3]] == [
        RATE_LIMIT - 1, RATE_LIMIT - 2, RATE_LIMIT - 3]
    assert_limited(answers[-1])
    # another client is not affected, nor are pages
    assert burst(site, 1, **client(2))[0].status_code == 200
    page = requests.get(f"{site.url}/dataset/", headers=address, timeout=30)
    assert page.status_code == 200


def test_invented_tokens_do_not_escape_the_anonymous_limit(tdpf_live_site):
    site = tdpf_live_site
    fresh_window()
    address = client(3)
    codes = [burst(site, 1, Authorization=uuid.uuid4().hex, **address)[0]
             for _ in range(RATE_LIMIT + 1)]
    assert all(r.status_code != 429 for r in codes[:RATE_LIMIT])
    assert_limited(codes[-1])


def test_authenticated_calls_are_limited_per_token(tdpf_live_site):
    site = tdpf_live_site
    fresh_window()
    first, second = user_token(site), user_token(site)
    answers = burst(site, RATE_LIMIT + 1, Authorization=first, **client(4))
    assert [r.status_code for r in answers[:RATE_LIMIT]] == [200] * RATE_LIMIT
    assert_limited(answers[-1])
    assert burst(site, 1, Authorization=second, **client(4))[0].status_code == 200
    # operators (sysadmins) are not limited
    operator = burst(site, RATE_LIMIT + 5, Authorization=site.token, **client(4))
    assert {r.status_code for r in operator} == {200}
