"""What every API router shares: the error body, pagination, and the request-body base
classes, so the schema documents each once and every router checks input alike."""

from collections.abc import Callable
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from gongzhi.core.validation import CONTROL

PAGE_DEFAULT = 50
PAGE_MAX = 200
ID_MAX = 2**63 - 1  # the largest id a database holds; beyond it a filter fails, not misses
OFFSET_MAX = 2**31 - 1  # past it the database refuses the number rather than answering []

# An object's id in a path, a query or a body.
Id = Annotated[int, Field(ge=1, le=ID_MAX)]


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


class Page(LimitOffsetPagination):
    """`?limit=&offset=` → `{"items": [...], "count": total}`; at most 200 a page."""

    class Input(Schema):
        limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
        offset: int = Field(0, ge=0, le=OFFSET_MAX)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=PAGE_MAX, **kwargs)


class Mapped:
    """A queryset for `Page`, each row of the requested slice turned into its answer by
    `out` (a view of the row for the caller): only the page's rows are read and mapped."""

    def __init__(self, queryset: Any, out: Callable[[Any], Any]):
        self.queryset, self.out = queryset, out

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[Any]:
        return [self.out(row) for row in self.queryset[item]]


class Clean(Schema):
    """Text in a request carries no control characters."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and CONTROL.search(t) for t in texts):
            raise PydanticCustomError("control_characters", "control characters are not allowed")
        return value


class In(Clean):
    """Request bodies: unknown fields are refused, choices arrive as plain values."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)
