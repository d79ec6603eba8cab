"""Server-side masking of personal values: what every screen shows by default."""

from __future__ import annotations

from collections.abc import Callable


def mask_id_number(value: str) -> str:
    """`420102199001011234` -> `420102********1234`: region kept, birth date hidden."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """`13812345678` -> `138****5678`; landlines keep their first 3 and last 4 too."""
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1) if value else ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """`张三丰` -> `张*丰`, `张三` -> `张*`: for lists shown outside the register."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_all(value: str) -> str:
    return "*" * min(len(value), 8)


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "name": mask_name,
    "all": mask_all,
}
