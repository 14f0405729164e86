"""`miniapp entries import FILE`, `miniapp totals verify` and `miniapp totals rebuild`."""

from __future__ import annotations

import click

from miniapp_api.cli.imports import import_file_from_cli
from miniapp_api.extensions import db
from miniapp_api.transaction import unit_of_work

entries = click.Group("entries", help="Counted entries: canteen purchases from the trading site.")
totals = click.Group("totals", help="Annual purchase totals.")


@entries.command("import")
@click.argument("path", metavar="FILE")
def entries_import(path: str) -> None:
    """Import canteen purchases (.xlsx or .csv); every row or none. Exits 1 on a bad row."""
    from miniapp_api.services.canteen_import import import_canteen_entries

    import_file_from_cli(db.session, path, import_canteen_entries, "entries.import")


@totals.command("verify")
def totals_verify() -> None:
    """Recompute every unit's totals from the entries and check every entry; exits 1 naming
    each difference."""
    from miniapp_api.services.totals import verify_totals

    with unit_of_work(db.session, writes=False):
        differences = verify_totals(db.session)
    for difference in differences:
        click.echo(str(difference), err=True)
    if differences:
        click.echo(f"{len(differences)} problem(s) in the totals or the entries", err=True)
        raise SystemExit(1)
    click.echo("totals agree with the entries, and every entry keeps the rules")


@totals.command("rebuild")
def totals_rebuild() -> None:
    """Recompute every totals row from the entries (after `verify` found a difference)."""
    from miniapp_api.services.totals import rebuild_totals

    with unit_of_work(db.session):
        rebuilt = rebuild_totals(db.session)
    click.echo(f"{rebuilt} totals rows rebuilt from the entries")
