"""``ckan tdpf-prep merge`` and ``remerge``: one standard dataset across municipalities,
from the command line (the same action as the API)."""
from __future__ import annotations

import click


def _user(user: str | None) -> str:
    import ckan.plugins.toolkit as tk
    return user or tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def _echo_merge(merge: dict) -> None:
    click.echo(f"{merge['state']}: {merge['row_count']} rows, last merged "
               f"{merge['last_merged'] or '—'}")
    for source in merge["sources"]:
        note = f"  {source['error']['ja']} / {source['error']['en']}" if source.get(
            "error") else ""
        click.echo(f"  {source.get('lgcode') or '—'} {source['resource_id']} "
                   f"{source.get('organization_title') or ''}: {source['rows']} rows{note}")


@click.command()
@click.argument("standard")
@click.argument("name")
@click.option("--owner-org", required=True, help="The organization holding the merged "
              "dataset.")
@click.option("--resource", "resource_ids", multiple=True, help="A source resource id "
              "(repeat for more).")
@click.option("--organization", "organizations", multiple=True, help="An organization "
              "whose files of the standard are merged, now and later (repeat for more).")
@click.option("--title", help="The merged dataset's title.")
@click.option("--user", help="Act as this user (default: the site user).")
def merge(standard: str, name: str, owner_org: str, resource_ids: tuple[str, ...],
          organizations: tuple[str, ...], title: str | None, user: str | None) -> None:
    """Merge the files of STANDARD (e.g. public_toilet) of several municipalities into
    the dataset NAME, in the standard's layout (created, or updated if it is a merged
    dataset)."""
    import ckan.plugins.toolkit as tk

    data = {"standard": standard, "name": name, "owner_org": owner_org,
            "resource_ids": list(resource_ids), "organizations": list(organizations)}
    if title:
        data["title"] = title
    try:
        result = tk.get_action("tdpf_prep_merge")({"user": _user(user)}, data)
    except (tk.ValidationError, tk.NotAuthorized) as error:
        raise click.ClickException(str(getattr(error, "error_dict", error)))
    state = "written" if result["written"] else "unchanged"
    click.echo(f"{result['dataset']['name']} ({state})")
    _echo_merge(result["merge"])


@click.command()
@click.argument("name")
@click.option("--queue", is_flag=True, help="Queue a background job instead of merging "
              "here.")
def remerge(name: str, queue: bool) -> None:
    """Merge the merged dataset NAME again from its sources, as the user who set it up
    (nothing is written when no source changed)."""
    import ckan.model as model

    from . import merge as merging
    from .model import Merge

    package = model.Package.get(name)
    row = Merge.for_package(package.id) if package is not None else None
    if row is None:
        raise click.ClickException(f"no merged dataset {name}")
    if queue:
        merging.enqueue(row.id, package.name)
        click.echo(f"queued: {package.name}")
        return
    result = merging.remerge_job(row.id)
    if result is None:
        raise click.ClickException(f"{name} is deleted")
    _echo_merge(result)
