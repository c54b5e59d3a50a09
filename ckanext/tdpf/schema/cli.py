"""``ckan tdpf-schema``: bulk rescoring of the data rate and bulk reindexing, with progress."""
from __future__ import annotations

import os

import click

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search

from ckanext.tdpf.lib import indexing, parallel

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


@tdpf_schema.command()
@click.option("--only-missing", is_flag=True, help="Index only datasets missing from the index.")
@click.option("--clear", is_flag=True, help="Empty the index first.")
@click.option("--workers", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              show_default="the number of cores", help="Worker processes.")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=200, show_default=True,
              help="Datasets per Solr request.")
def reindex(only_missing: bool, clear: bool, workers: int, batch_size: int) -> None:
    """Rebuild the search index with CKAN's own documents, sent a batch per Solr request
    from parallel workers (``ckan search-index rebuild`` sends one dataset per request)."""
    ids = [row.id for row in model.Session.query(model.Package.id)
           .filter(model.Package.state != "deleted").order_by(model.Package.id)]
    if only_missing:
        indexed = set(search.query_for(model.Package).get_all_entity_ids(max_results=10**7))
        ids = [package_id for package_id in ids if package_id not in indexed]
    if clear:
        search.clear_all()
    batches = [ids[first:first + batch_size] for first in range(0, len(ids), batch_size)]
    with click.progressbar(length=len(ids), label="索引 / indexing", show_pos=True,
                           show_percent=True) as bar:
        failures = list(parallel.run_batches(_index_batch, batches, workers, bar.update))
    search.commit()
    for failure in failures:
        click.echo(failure, err=True)
    click.echo(f"datasets: {len(ids)}, batches of {batch_size} that failed: {len(failures)}")
    if failures:
        raise SystemExit(1)


def _index_batch(package_ids: list[str]) -> str | None:
    try:
        indexing.index_packages(package_ids, jobs._site_user(), commit=False)
        return None
    except Exception as error:  # reported with the others; the rest goes on
        return f"{len(package_ids)} datasets not indexed: {error}"
    finally:
        model.Session.remove()
