"""The one way an import is run, from the CLI or from an upload: read, check, write or refuse."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy.orm import Session

from miniapp_api.errors import DomainError
from miniapp_api.services.audit import record_import
from miniapp_api.services.sheet_files import CLI_LIMITS
from miniapp_api.services.sheets import ImportRejected, ImportReport
from miniapp_api.transaction import unit_of_work

# An importer takes the session, the file's name, its bytes and the limits to read it within,
# and returns the report of a written import, or raises ImportRejected with the report.
Importer = Callable[..., ImportReport]


def import_file_from_cli(session: Session, path: str, importer: Importer, action: str) -> None:
    """Run `importer` on a file as one unit of work and print its report; exits 1, having
    written nothing, when anything is wrong. A written import is audited as `action`, by the
    operator (no admin)."""
    file = Path(path)
    if not file.is_file():
        raise click.ClickException(f"no such file: {path}")
    try:
        with file.open("rb") as stream, unit_of_work(session):
            report = importer(session, file.name, stream, limits=CLI_LIMITS)
            record_import(session, None, action, file.name, report)
    except ImportRejected as rejected:
        print_report(rejected.report)
        click.echo("Nothing was imported: fix the rows above and import the file again.", err=True)
        raise SystemExit(1) from None
    except DomainError as error:
        raise click.ClickException(f"{error.message} {error.details or ''}".strip()) from None
    print_report(report)


def print_report(report: ImportReport) -> None:
    for problem in report.errors:
        click.echo(f"file: {problem}", err=True)
    for row in report.rows:
        if row.errors:
            click.echo(f"row {row.row}: {'; '.join(row.errors)}", err=True)
    if report.as_dict()["omitted"]:
        click.echo(f"... and {report.as_dict()['omitted']} more bad rows", err=True)
    click.echo(
        f"{len(report.rows)} rows: {report.created} created, {report.updated} updated, "
        f"{report.skipped} skipped, {sum(1 for r in report.rows if r.status == 'error')} bad"
    )
