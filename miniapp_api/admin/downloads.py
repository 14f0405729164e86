"""Spreadsheet downloads: one content type and one way to answer a file."""

from __future__ import annotations

import io

from flask import Response, send_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(content: bytes, filename: str) -> Response:
    """Answer an .xlsx file as an attachment named `filename`."""
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=filename)
