"""Search keys for Chinese names: full pinyin and initials, lower case, no tones."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_ASCII_LETTERS = re.compile(r"[^a-z]")


def pinyin_keys(name: str) -> tuple[str, str]:
    """`张晓明` -> ("zhangxiaoming", "zxm"). ü is written v, as on a keyboard."""
    full: list[str] = []
    initials: list[str] = []
    for syllable in lazy_pinyin(name, style=Style.NORMAL, errors="default"):
        word = _ASCII_LETTERS.sub("", syllable.lower())
        if word:
            full.append(word)
            initials.append(word[0])
    return "".join(full), "".join(initials)


def normalize_query(text: str) -> str:
    return re.sub(r"\s+", "", text or "").lower()


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`.

    `field >= prefix AND field < bound` is a prefix search that any B-tree index serves,
    on SQLite and PostgreSQL alike, without LIKE or collation tricks.
    """
    return prefix + "\U0010ffff"
