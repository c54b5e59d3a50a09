"""Email notifications of the access workflow, through CKAN's mailer (``smtp.*``):

- a new request: to the providing organization's editors and admins;
- a decision: to the requester;
- a grant ending in ``days`` days: to the grantee (``ckan tdpf-access notify-expiring``,
  daily from cron), once per grant.

Mails are Japanese with the English below, with links to the pages concerned. They are
sent by a background job, so a slow or failing mail server never delays or fails the
request or the decision; a mail that cannot be sent is logged.
"""
from __future__ import annotations

import datetime
import logging
from typing import Any, Iterable, NamedTuple

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer

from ckanext.tdpf.lib.i18n import N_, english, japanese

from .model import AccessRequest, Grant, now

log = logging.getLogger(__name__)
JST = datetime.timezone(datetime.timedelta(hours=9))
SIGNATURE = N_("Tokyo Data Platform")

NEW_REQUEST = (
    N_("New access request: {title}"),
    N_("{user} requested access to the shared dataset \"{title}\".\n\nPurpose: {purpose}\n"
       "User type: {user_type}\n\nDecide on it here:\n{link}"))
DECIDED = {
    "approved": (
        N_("Your access request was approved: {title}"),
        N_("Your request for \"{title}\" was approved. You may use its files until {until} "
           "(Japan time).\n\nThe dataset:\n{link}\nYour requests and grants:\n{mine}")),
    "rejected": (
        N_("Your access request was rejected: {title}"),
        N_("Your request for \"{title}\" was rejected.\nReason: {reason}\n\n"
           "Your requests and grants:\n{mine}")),
}
EXPIRING = (
    N_("Your access ends on {until}: {title}"),
    N_("Your grant for \"{title}\" ends on {until} (Japan time). To go on using the data, "
       "request access again.\n\nThe dataset:\n{link}\nYour requests and grants:\n{mine}"))


def _url(path: str) -> str:
    return tk.config["ckan.site_url"].rstrip("/") + path


def _text(message: str, **params: Any) -> str:
    """The Japanese text, then the English; a ``Label`` parameter is given in each."""
    ja = japanese(message, **{k: v.ja if isinstance(v, Label) else v for k, v in params.items()})
    en = english(message, **{k: v.en if isinstance(v, Label) else v for k, v in params.items()})
    return ja if ja == en else f"{ja}\n\n---\n\n{en}"


def _subject(message: str, **params: Any) -> str:
    params = {k: v.ja if isinstance(v, Label) else v for k, v in params.items()}
    return f"[{japanese(SIGNATURE)}] {japanese(message, **params)}"


def _send(recipients: Iterable[model.User], subject: str, body: str) -> int:
    sent = 0
    for user in recipients:
        if not user.email:
            continue
        try:
            mailer.mail_recipient(user.display_name, user.email, subject, body)
            sent += 1
        except Exception as error:  # noqa: BLE001 - a mail is never worth a failure
            log.warning("could not mail %s: %s", user.name, error)
    return sent


def enqueue(kind: str, object_id: str) -> None:
    """Queue a notification; if even that fails, log it and go on."""
    try:
        tk.enqueue_job(send, [kind, object_id], title=f"tdpf_access notify {kind}",
                       rq_kwargs={"timeout": 120})
    except Exception as error:  # noqa: BLE001 - the request or decision stands
        log.warning("could not queue the %s notification of %s: %s", kind, object_id, error)


def send(kind: str, object_id: str) -> int:
    """The job: ``kind`` is ``request`` (a new request) or ``decision``."""
    request = model.Session.get(AccessRequest, object_id)
    package = model.Package.get(request.package_id) if request else None
    if request is None or package is None:
        return 0
    requester = model.User.get(request.user_id)
    link = _url(f"/dataset/{package.name}")
    if kind == "request":
        subject, body = NEW_REQUEST
        params = {"title": package.title, "user": requester.name if requester else "",
                  "purpose": _label("purpose", request.purpose),
                  "user_type": _label("user_type", request.user_type),
                  "link": _url(f"/organization/{_org_name(package.owner_org)}/access")}
        return _send(_deciders(package.owner_org), _subject(subject, **params),
                     _text(body, **params))
    if kind == "decision" and request.state in DECIDED and requester is not None:
        subject, body = DECIDED[request.state]
        grant = model.Session.query(Grant).filter(Grant.request_id == request.id).first()
        params = {"title": package.title, "link": link, "mine": _url("/dashboard/access"),
                  "reason": request.reason or "—",
                  "until": _day(grant.valid_until) if grant else ""}
        return _send([requester], _subject(subject, **params), _text(body, **params))
    return 0


def notify_expiring(days: int = 7) -> int:
    """Mail every grantee whose grant ends within ``days`` days and was not told yet."""
    current = now()
    grants = model.Session.query(Grant).filter(
        Grant.revoked_at.is_(None), Grant.valid_until > current,
        Grant.valid_until <= current + datetime.timedelta(days=days),
        Grant.expiry_notice_sent_at.is_(None)).all()
    sent = 0
    for grant in grants:
        package, user = model.Package.get(grant.package_id), model.User.get(grant.user_id)
        if package is None or user is None or package.state != "active":
            continue
        params = {"title": package.title, "until": _day(grant.valid_until),
                  "link": _url(f"/dataset/{package.name}"), "mine": _url("/dashboard/access")}
        if _send([user], _subject(EXPIRING[0], **params), _text(EXPIRING[1], **params)):
            grant.expiry_notice_sent_at = current
            model.Session.commit()
            sent += 1
    return sent


def _deciders(org_id: str | None) -> list[model.User]:
    """The organization's editors and admins."""
    return (model.Session.query(model.User)
            .join(model.Member, model.Member.table_id == model.User.id)
            .filter(model.Member.group_id == org_id, model.Member.table_name == "user",
                    model.Member.state == "active", model.User.state == "active",
                    model.Member.capacity.in_(["editor", "admin"])).all())


def _org_name(org_id: str | None) -> str:
    group = model.Group.get(org_id or "")
    return group.name if group else (org_id or "")


def _day(moment: datetime.datetime) -> str:
    return moment.astimezone(JST).date().isoformat()


class Label(NamedTuple):
    """A choice's label in each language of the mail."""
    ja: str
    en: str


def _label(kind: str, code: str) -> Label:
    from ckanext.tdpf.lib import vocabularies as vocab
    table = {"purpose": vocab.PURPOSES, "user_type": vocab.USER_TYPES}[kind]
    return Label(table[code][0], table[code][1]) if code in table else Label(code, code)
