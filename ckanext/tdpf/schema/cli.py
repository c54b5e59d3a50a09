"""``ckan tdpf-schema``: bulk rescoring of the data rate, with progress."""
from __future__ import annotations

import click

import ckan.model as model
import ckan.plugins.toolkit as tk

from . import jobs

__all__ = ["tdpf_schema"]


@click.group("tdpf-schema", short_help="TDPF schema and data rate (データレート)")
def tdpf_schema() -> None:
    pass


@tdpf_schema.command()
@click.option("--all", "everything", is_flag=True, help="Every active dataset.")
@click.option("--org", "organization", help="Datasets of one organization (name or id).")
@click.option("--dataset", "datasets", multiple=True, help="One dataset (name or id); repeatable.")
@click.option("--force", is_flag=True, help="Download and rate files even if unchanged.")
@click.option("--queue", is_flag=True, help="Enqueue background jobs instead of rating here.")
def rescore(everything: bool, organization: str | None, datasets: tuple[str, ...],
            force: bool, queue: bool) -> None:
    """Rate the resources of datasets from their content."""
    if sum(bool(x) for x in (everything, organization, datasets)) != 1:
        raise click.UsageError("give exactly one of --all, --org ORG or --dataset ID")
    query = model.Session.query(model.Package.id).filter(model.Package.state == "active")
    if organization:
        group = model.Group.get(organization)
        if group is None or not group.is_organization:
            raise click.BadParameter(f"no organization {organization!r}", param_hint="--org")
        query = query.filter(model.Package.owner_org == group.id)
    if datasets:
        ids = []
        for name in datasets:
            package = model.Package.get(name)
            if package is None:
                raise click.BadParameter(f"no dataset {name!r}", param_hint="--dataset")
            ids.append(package.id)
    else:
        ids = [row.id for row in query.order_by(model.Package.name)]
    totals = {"rated": 0, "skipped": 0, "removed": 0, "failed": 0}
    with click.progressbar(ids, label="データレート / data rate", show_pos=True,
                           item_show_func=lambda i: i or "") as bar:
        for package_id in bar:
            if queue:
                tk.enqueue_job(jobs.rate_dataset, [package_id, force],
                               title=f"tdpf data rate {package_id}")
                continue
            try:
                for key, value in jobs.rate_dataset(package_id, force=force).items():
                    totals[key] += value
            except Exception as error:  # report and go on: one bad file must not stop a bulk run
                model.Session.rollback()
                totals["failed"] += 1
                click.echo(f"\n{package_id}: {error}", err=True)
    if queue:
        click.echo(f"{len(ids)} datasets queued")
    else:
        click.echo("datasets: {n}, resources rated: {rated}, unchanged: {skipped}, "
                   "removed: {removed}, failed datasets: {failed}".format(n=len(ids), **totals))
    if totals["failed"]:
        raise SystemExit(1)
