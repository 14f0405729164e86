"""`miniapp units import FILE`."""

from __future__ import annotations

import click

from miniapp_api.cli.imports import import_file_from_cli
from miniapp_api.extensions import db

units = click.Group("units", help="Budget units.")


@units.command("import")
@click.argument("file")
def units_import(file: str) -> None:
    """Import the platform's unit sheet (.xlsx or .csv): all rows or none."""
    from miniapp_api.services.units_import import import_units

    import_file_from_cli(db.session, file, import_units, "unit.import")
