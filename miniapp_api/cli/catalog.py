"""`miniapp catalog import FILE`."""

from __future__ import annotations

import click

from miniapp_api.cli.imports import import_file_from_cli
from miniapp_api.extensions import db

catalog = click.Group("catalog", help="The product catalogue.")


@catalog.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def catalog_import(file: str) -> None:
    """Import products and SKUs from FILE (.xlsx or .csv); all rows or nothing."""
    from miniapp_api.services.catalog_import import import_catalog

    import_file_from_cli(db.session, file, import_catalog, "catalog.import")
