"""Notifications by email, through CKAN's mailer and a real SMTP server the test starts
(aiosmtpd on a free local port); jobs run by a real RQ worker on the test Redis."""
from __future__ import annotations

import datetime
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

import ckan.model as model
from ckan.lib import jobs
from ckan.tests import factories

from ckanext.tdpf.access.cli import tdpf_access
from ckanext.tdpf.access.model import Grant
from ckanext.tdpf.access.tests.conftest import PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.ckan_config("smtp.mail_from", "tdpf@example.invalid"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis"),
]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(ckan_config, monkeypatch):
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{controller.port}")
    yield box
    controller.stop()


def run_jobs() -> None:
    jobs.Worker(["default"]).work(burst=True)


def body(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_new_request_mails_the_providers_editors_and_admins(tdpf_world, inbox):
    world = tdpf_world
    requester = factories.User()
    world.request(requester, purpose="research")
    run_jobs()
    recipients = {r for rcpt, _m in inbox.messages for r in rcpt}
    org = model.Group.get("t131083")
    editors = {model.User.get(member.table_id).email for member in model.Session.query(
        model.Member).filter(model.Member.group_id == org.id, model.Member.state == "active",
                             model.Member.table_name == "user",
                             model.Member.capacity.in_(["editor", "admin"]))}
    assert recipients == editors
    assert model.User.get(world.provider_editor["id"]).email in editors
    message = inbox.to(model.User.get(world.provider_editor["id"]).email)[0]
    assert "利用申請" in message["Subject"] and "江東区 介護サービス利用状況" in message["Subject"]
    text = body(message)
    assert requester["name"] in text and "研究" in text
    assert "http://test.ckan.net/organization/t131083/access" in text
    assert "requested access" in text  # the English follows the Japanese
    japanese, english = text.split("\n---\n", 1)
    assert "利用目的: 研究" in japanese and "Purpose: Research" in english  # each in its language


def test_a_decision_mails_the_requester(tdpf_world, inbox):
    world = tdpf_world
    approved, rejected = factories.User(), factories.User()
    world.grant(approved, expires="2099-03-31T14:59:59Z")
    request = world.request(rejected)
    world.call("tdpf_access_request_decide", world.provider_admin, id=request["id"],
               decision="reject", reason="目的が利用条件に合いません")
    run_jobs()
    yes = inbox.to(model.User.get(approved["id"]).email)
    assert len(yes) == 1 and "承認" in yes[0]["Subject"]
    assert "2099-03-31" in body(yes[0]) and "http://test.ckan.net/dataset/koto-care" in body(
        yes[0])
    no = inbox.to(model.User.get(rejected["id"]).email)
    assert len(no) == 1 and "却下" in no[0]["Subject"]
    assert "目的が利用条件に合いません" in body(no[0])
    assert "http://test.ckan.net/dashboard/access" in body(no[0])


def test_grantees_are_told_once_a_week_before_their_grant_ends(tdpf_world, inbox, cli):
    world = tdpf_world
    soon, later = factories.User(), factories.User()
    for user, days in ((soon, 3), (later, 30)):
        grant = world.grant(user)["grant"]
        row = model.Session.get(Grant, grant["id"])
        row.valid_until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
            days=days)
        model.Session.commit()
    run_jobs()
    inbox.messages.clear()
    result = cli.invoke(tdpf_access, ["notify-expiring", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "1 grantee" in result.output
    told = inbox.to(model.User.get(soon["id"]).email)
    assert len(told) == 1 and "終了" in told[0]["Subject"]
    assert inbox.to(model.User.get(later["id"]).email) == []
    again = cli.invoke(tdpf_access, ["notify-expiring"])
    assert "0 grantee" in again.output and len(inbox.to(model.User.get(soon["id"]).email)) == 1


def test_a_failing_mail_server_fails_neither_the_request_nor_the_decision(
        tdpf_world, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{free_port()}")  # closed
    world = tdpf_world
    decided = world.grant(factories.User())
    assert decided["request"]["state"] == "approved"
    run_jobs()  # the jobs log the failure and end
    assert jobs.get_queue().count == 0
