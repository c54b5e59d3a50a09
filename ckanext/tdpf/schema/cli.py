"""``ckan tdpf-schema``: bulk rescoring of the data rate and bulk reindexing, with progress."""
from __future__ import annotations

import os
import time
from typing import Iterator

import click

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search

from ckanext.tdpf.lib import indexing, parallel

from . import jobs, pending
from .model import ResourceRating

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
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (each fetches with its own threads).")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=None,
              help="Datasets per batch (default: ckanext.tdpf.schema.rating.batch_size).")
def rescore(everything: bool, organization: str | None, datasets: tuple[str, ...],
            force: bool, queue: bool, workers: int, batch_size: int | None) -> None:
    """Rate the resources of datasets from their content. Files rated before are asked
    for conditionally; a file that did not change keeps its rating without being scored."""
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
    size = batch_size or tk.config["ckanext.tdpf.schema.rating.batch_size"]
    batches = _batches(ids, size)
    if queue:
        bulk = tk.config["ckanext.tdpf.schema.rating.bulk_queue"]
        for number, batch in enumerate(batches, 1):
            tk.enqueue_job(jobs.rate_datasets, [batch],
                           {"force": force, "recheck": True, "index_commit": False},
                           queue=bulk, title=f"tdpf data rate: rescore batch {number}")
        click.echo(f"{len(ids)} datasets queued in {len(batches)} jobs ({bulk})")
        return
    totals = jobs.empty_summary()
    totals["failed"] = 0
    started = time.monotonic()
    done = 0
    for summary, failure in _run_batches(batches, force, workers):
        done += summary.pop("batch")
        for key, value in summary.items():
            totals[key] += value
        if failure:
            click.echo(failure, err=True)
        click.echo(_progress(done, len(ids), totals, time.monotonic() - started))
    indexing.commit()
    click.echo("datasets: {n}, resources rated: {rated}, unchanged: {unchanged}, "
               "errors: {errors}, not looked at: {skipped}, removed: {removed}, "
               "failed datasets: {failed}".format(n=len(ids), **totals))
    if totals["failed"]:
        raise SystemExit(1)


def _batches(ids: list[str], size: int) -> list[list[str]]:
    """The datasets in batches of ``size``, those with a file that ran into the time limit
    last time dealt out evenly: a batch waits for its slow files at most
    ``host_concurrency`` at a time from one host, so gathered in one batch they would be
    waited for one after another (in a batch of its own share, each batch starts them at
    once and waits about one time limit)."""
    slow_ids = {row.package_id for row in model.Session.query(ResourceRating.package_id)
                .filter(ResourceRating.error == "timeout").distinct()}
    slow = [i for i in ids if i in slow_ids]
    fast = [i for i in ids if i not in slow_ids]
    count = max(1, -(-len(ids) // size))
    batches = [slow[number::count] for number in range(count)]
    taken = 0
    for batch in batches:
        room = size - len(batch)
        batch += fast[taken:taken + room]
        taken += room
    return [batch for batch in batches if batch]


def _progress(done: int, total: int, totals: dict[str, int], seconds: float) -> str:
    looked_at = totals["rated"] + totals["unchanged"] + totals["errors"]
    return (f"{done}/{total} datasets: {totals['rated']} rated, {totals['unchanged']} "
            f"unchanged, {totals['errors']} errors; {looked_at / max(seconds, 1e-6):.1f} "
            f"resources/s")


def _rate_batch(args: tuple[list[str], bool]) -> tuple[dict[str, int], str | None]:
    """One batch (in this process or a forked worker): its summary and what failed."""
    package_ids, force = args
    try:
        summary = jobs.rate_each_on_failure(package_ids, force=force, recheck=True)
        failure = (f"{summary['failed']} of {len(package_ids)} datasets could not be rated "
                   "(see the log)") if summary["failed"] else None
        return dict(summary, batch=len(package_ids)), failure
    finally:
        model.Session.remove()


def _run_batches(batches: list[list[str]], force: bool, workers: int
                 ) -> Iterator[tuple[dict[str, int], str | None]]:
    """The batches' summaries as they end, from ``workers`` processes forked once (not
    one per batch)."""
    work = [(batch, force) for batch in batches]
    workers = min(workers, len(batches))
    if workers <= 1:
        for item in work:
            yield _rate_batch(item)
        return
    model.Session.remove()
    model.meta.engine.dispose()  # no connection may be shared with the workers
    with parallel.pool_of(workers) as pool:
        yield from pool.imap_unordered(_rate_batch, work)


@tdpf_schema.command("rating-status")
@click.option("--org", "organization", help="One organization (name or id); default: all.")
def rating_status(organization: str | None) -> None:
    """How much of each organization's public datasets is rated."""
    action = tk.get_action("tdpf_schema_rating_status")
    context = {"ignore_auth": True}
    if organization:
        names = [organization]
    else:
        names = [row.name for row in model.Session.query(model.Group.name).filter(
            model.Group.is_organization.is_(True), model.Group.state == "active")
            .order_by(model.Group.name)]
    click.echo(f"{'organization':30} {'resources':>9} {'rated':>9} {'errors':>9} "
               f"{'pending':>9}  checked_at")
    for name in names:
        try:
            status = action(dict(context), {"organization": name})
        except tk.ObjectNotFound:
            raise click.BadParameter(f"no organization {name!r}", param_hint="--org")
        checked = status["checked_at"]
        span = f"{checked['first']} – {checked['last']}" if checked["first"] else "-"
        click.echo(f"{status['organization']:30} {status['resources']:>9} "
                   f"{status['rated']:>9} {status['errors']:>9} {status['pending']:>9}  "
                   f"{span}")


@tdpf_schema.command("rating-recover")
def rating_recover() -> None:
    """Datasets of rating batches whose job was lost (its worker killed) wait again, and a
    drain job is queued if any dataset waits. For cron, every 15 minutes."""
    before = pending.claimed_ids()
    waiting = pending.recover()
    returned = len(before - pending.claimed_ids())
    if waiting:
        jobs.resume_draining()
    click.echo(f"returned {returned} dataset(s) of lost batches; {waiting} waiting"
               + ("; a drain job is queued" if waiting else ""))


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
