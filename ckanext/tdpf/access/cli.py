"""``ckan tdpf-access``: the access workflow's scheduled tasks."""
from __future__ import annotations

import click

from . import notify

__all__ = ["tdpf_access"]


@click.group("tdpf-access", short_help="TDPF shared data (利用条件付きデータ)")
def tdpf_access() -> None:
    pass


@tdpf_access.command("notify-expiring")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 365),
              help="Tell grantees whose grant ends within this many days.")
def notify_expiring(days: int) -> None:
    """Mail every grantee whose grant ends soon (once per grant); run daily from cron."""
    sent = notify.notify_expiring(days)
    click.echo(f"{sent} grantee(s) told that their grant ends within {days} days")
