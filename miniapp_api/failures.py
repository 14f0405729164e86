"""Logging an unexpected failure without the data it was carrying.

A database error's text holds what the statement was writing: SQLAlchemy appends the bound
parameters (hidden by `hide_parameters=True` on the engine, see create_app), and PostgreSQL adds
a DETAIL line with the failing row ("Failing row contains (..., <session key>, ...)") or the
duplicate key. Neither may reach the log: session keys, phone numbers and voucher codes live in
those rows. So a database error is logged by its kind, SQLSTATE, constraint and statement, with
the stack of where it happened, never with the driver's message; other errors as usual.
"""

from __future__ import annotations

import logging
import traceback

from sqlalchemy.exc import DBAPIError


def log_failure(logger: logging.Logger, message: str, *args: object, error: BaseException) -> None:
    """Log `message % args` at ERROR with `error` described safely (see the module docstring)."""
    if not isinstance(error, DBAPIError):
        logger.error(message, *args, exc_info=error)
        return
    logger.error(
        message + " database error: %s\nwhere:\n%s",
        *args,
        describe_database_error(error),
        "".join(traceback.format_tb(error.__traceback__)).rstrip(),
    )


def describe_database_error(error: DBAPIError) -> str:
    """What failed, without any value the statement carried: the driver's error class, its
    SQLSTATE (or SQLite's error name), the constraint, table and column when the driver names
    them, and the statement with its placeholders."""
    original = error.orig
    parts = [type(original).__name__ if original is not None else type(error).__name__]
    code = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
    if code:
        parts.append(f"code={code}")
    diagnostics = getattr(original, "diag", None)
    for name in ("constraint_name", "table_name", "column_name"):
        value = getattr(diagnostics, name, None) if diagnostics is not None else None
        if value:
            parts.append(f"{name.removesuffix('_name')}={value}")
    statement = " ".join((error.statement or "").split())
    parts.append(f"statement={statement[:500]!r}")
    return " ".join(parts)
