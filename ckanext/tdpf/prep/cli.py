"""``ckan tdpf-prep``: データ整備 at the desk. ``convert`` needs no site (a file in, tidy CSV
out, the changes and the data rate before and after printed); ``resource`` prepares a
resource of the site and can publish the result."""
from __future__ import annotations

import pathlib
import sys

import click

from ckanext.tdpf.lib.rating import rate

from . import engine
from .engine import scores

__all__ = ["tdpf_prep"]


@click.group("tdpf-prep", short_help="TDPF data preparation (データ整備)")
def tdpf_prep() -> None:
    pass


def _rating(rating: dict) -> str:
    return " ".join(f"{key}={'—' if rating[key] is None else rating[key]}"
                    for key in ("stage", "L1", "L2", "L3"))


def _outputs(out: pathlib.Path | None, source: pathlib.Path, count: int) -> list[pathlib.Path]:
    base = out or source.with_name(source.stem + "_prepared.csv")
    if count == 1:
        return [base]
    return [base.with_name(f"{base.stem}_{i}{base.suffix}") for i in range(1, count + 1)]


@tdpf_prep.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="The prepared CSV (one file in; a workbook's tables are numbered _1, _2…).")
@click.option("--sheet", help="Only this sheet of a workbook.")
@click.option("--quiet", is_flag=True, help="Only the before → after line per file.")
@click.option("--standard", "standard_id", metavar="ID",
              help="Also convert into this 自治体標準オープンデータセット layout (public_toilet, "
                   "aed, …), written next to the file under the standard's file name.")
@click.option("--code", "lgcode", metavar="CODE",
              help="With --standard: the publishing municipality's 6-digit code (fills "
                   "全国地方公共団体コード and 地方公共団体名, completes short addresses).")
def convert(files: tuple[pathlib.Path, ...], output: pathlib.Path | None, sheet: str | None,
            quiet: bool, standard_id: str | None, lgcode: str | None) -> None:
    """Prepare FILES (CSV, TSV, XLSX, XLS, ODS, text PDF) into tidy UTF-8 CSV files, print
    the changes made and the data rate before and after; with --standard also in the
    standard's layout, with its conformance before and after. Needs no site."""
    if output and len(files) > 1:
        raise click.UsageError("-o works with one file; without it each file's CSV is "
                               "written next to it.")
    standard = _standard(standard_id, lgcode)
    failed = 0
    with click.progressbar(files, label="データ整備", file=sys.stderr,
                           show_pos=True) if len(files) > 1 else _plain(files) as items:
        for path in items:
            if (path.stat().st_size > STREAM_FROM and sheet is None and not standard
                    and _is_text(path)):
                try:
                    _stream(path, _outputs(output, path, 1)[0], quiet)
                    continue
                except engine.PrepError as error:
                    if error.code != "not_streamable":  # else: read whole instead
                        failed += 1
                        click.echo(f"{path}: {error.message['ja']} / "
                                   f"{error.message['en']}", err=True)
                        continue
            content = path.read_bytes()
            try:
                prepared = engine.prepare(content, sheet=sheet)
            except engine.PrepError as error:
                failed += 1
                click.echo(f"{path}: {error.message['ja']} / {error.message['en']}", err=True)
                continue
            before = scores.summary(rate(content))
            for table, target in zip(prepared.tables,
                                     _outputs(output, path, len(prepared.tables))):
                target.write_bytes(table.csv_bytes())
                after = scores.after(table)
                click.echo(f"{path} [{table.name}] → {target}: {table.row_count} rows; "
                           f"before {_rating(before)} → after {_rating(after)}")
                if not quiet:
                    for change in prepared.changes + table.changes:
                        click.echo(f"  {change.rule} {change.what('ja')}  "
                                   f"({_short(change.where)})")
                    for line in table.description:
                        click.echo(f"  説明へ: {line}")
                if standard:
                    _in_standard(table, target, standard, lgcode, quiet)
    if failed:
        raise SystemExit(1)


def _standard(standard_id: str | None, lgcode: str | None):
    from ckanext.tdpf.lib import municipalities, standards

    if lgcode and not standard_id:
        raise click.UsageError("--code goes with --standard.")
    if lgcode and (not municipalities.has_valid_check_digit(lgcode)
                   or municipalities.lookup(lgcode) is None):
        raise click.BadParameter(f"{lgcode!r} is not a 6-digit 全国地方公共団体コード with its "
                                 "check digit.", param_hint="--code")
    if not standard_id:
        return None
    found = standards.get(standard_id)
    if found is None:
        raise click.BadParameter(
            f"unknown standard {standard_id!r}; known: {', '.join(sorted(standards.standards()))}",
            param_hint="--standard")
    return found


def _in_standard(table, target: pathlib.Path, standard, lgcode: str | None,
                 quiet: bool) -> None:
    from .engine import standardize

    converted = standardize.convert(table.header, table.rows, standard,
                                    standardize.publisher_of(lgcode))
    written = target.with_name(converted.file_name)
    written.write_bytes(converted.csv_bytes())
    click.echo(f"  → {standard.title}（{standard.number}） {written}: {len(converted.rows)} "
               f"rows; 適合度 {converted.before.score} → {converted.after.score}"
               f"{'（適合）' if converted.after.conforms else ''}")
    if not quiet:
        for item in converted.mapping:
            if item.get("source") and item["source"] != item["target"]:
                click.echo(f"    {item['source']} → {item['target']} ({item['how']})")
        for name in converted.unmapped:
            click.echo(f"    {name} → 備考")


# CSV files larger than this are prepared in a stream (bounded memory), not read whole.
STREAM_FROM = 16 * 1024 * 1024


def _is_text(path: pathlib.Path) -> bool:
    from ckanext.tdpf.lib.rating import readers

    with open(path, "rb") as stream:
        return readers.sniff(stream.read(4096)) == "text"


def _stream(path: pathlib.Path, target: pathlib.Path, quiet: bool) -> None:
    from .engine.stream import prepare_stream

    try:
        with open(path, "rb") as source, open(target, "w", encoding="utf-8",
                                              newline="") as out:
            streamed = prepare_stream(source, out)
    except BaseException:
        target.unlink(missing_ok=True)  # no half-written file
        raise
    click.echo(f"{path} → {target}: {streamed.row_count} rows (streamed; rate the result "
               f"with the site's data rate)")
    if not quiet:
        for change in streamed.changes:
            click.echo(f"  {change.rule} {change.what('ja')}  ({_short(change.where)})")
        for line in streamed.description:
            click.echo(f"  説明へ: {line}")


class _plain:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


def _short(where: str, limit: int = 120) -> str:
    return where if len(where) <= limit else where[:limit] + "…"


@tdpf_prep.command()
@click.argument("resource_id")
@click.option("--table", help="The table to publish (default: the first).")
@click.option("--publish", is_flag=True, help="Add the prepared table to the dataset.")
@click.option("--user", help="Act as this user (default: the site user).")
def resource(resource_id: str, table: str | None, publish: bool, user: str | None) -> None:
    """Prepare a resource of the site: print its tables, changes and data rate before and
    after; with --publish add the prepared table to its dataset as a new CSV file."""
    import ckan.plugins.toolkit as tk

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    context = {"user": user or site_user}
    try:
        result = tk.get_action("tdpf_prep_preview")(dict(context), {"resource_id": resource_id})
    except (tk.ValidationError, tk.NotAuthorized) as error:
        raise click.ClickException(str(getattr(error, "error_dict", error)))
    for item in result["tables"]:
        click.echo(f"[{item['name']}] {item['row_count']} rows; before "
                   f"{_rating(item['rating_before'])} → after {_rating(item['rating_after'])}")
        for change in item["changes"]:
            click.echo(f"  {change['rule']} {change['what']}  ({_short(change['where'])})")
    if publish:
        try:
            created = tk.get_action("tdpf_prep_publish")(dict(context), {
                "resource_id": resource_id, **({"table": table} if table else {})})
        except (tk.ValidationError, tk.NotAuthorized) as error:
            raise click.ClickException(str(getattr(error, "error_dict", error)))
        click.echo(f"published: {created['id']} {created.get('name')}")


def _merge_commands() -> None:
    from .merge_cli import merge, remerge
    tdpf_prep.add_command(merge)
    tdpf_prep.add_command(remerge)


_merge_commands()
