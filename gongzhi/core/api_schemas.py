"""The one error body every API operation answers with, so the schema documents it once."""

from typing import Any

from ninja import Schema


class ExistingOut(Schema):
    id: int
    url: str


class ErrorOut(Schema):
    """`{"code", "message", "fields"}`: `fields` maps each bad field to its messages."""

    code: str
    message: str
    fields: dict[str, list[str]]
    # Only on 409 from a create: the record that is already there.
    existing: ExistingOut | None = None


ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 422)}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
