"""Spreadsheet uploads and the row report every import answers with."""

import marshmallow as ma
from flask_smorest.fields import Upload


class UploadSchema(ma.Schema):
    file = Upload(
        required=True,
        metadata={
            "description": ".xlsx or .csv, at most 20 MB and 20,000 rows (bigger files: the CLI)"
        },
    )


class RowResultSchema(ma.Schema):
    row = ma.fields.Integer(metadata={"description": "row number in the sheet (header is 1)"})
    status = ma.fields.String(metadata={"enum": ["ok", "error", "skipped"]})
    errors = ma.fields.List(ma.fields.String())
    notes = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "only when there is something to say, e.g. a canteen row "
            "counted to the successor of a merged unit (rule 8)"
        },
    )


class ImportReportSchema(ma.Schema):
    rows = ma.fields.List(ma.fields.Nested(RowResultSchema))
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    skipped = ma.fields.Integer()
    omitted = ma.fields.Integer(
        metadata={"description": "bad rows past the first 1,000: counted, not listed"}
    )
    errors = ma.fields.List(ma.fields.String(), metadata={"description": "problems of the file"})
