"""Search keys for Chinese names: full pinyin and initials, lower case, no tones."""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_ASCII_LETTERS = re.compile(r"[^a-z]")
_PARTS = re.compile(r"([\u3400-\u9fff\uf900-\ufaff])|([^\u3400-\u9fff\uf900-\ufaff]+)")


def pinyin_keys(name: str) -> tuple[str, str]:
    """`张晓明` -> ("zhangxiaoming", "zxm"). ü is written v, as on a keyboard."""
    full: list[str] = []
    initials: list[str] = []
    for cjk, latin in _PARTS.findall(name):
        # Character by character, not by phrase: the keys of "张晓" must be a prefix of
        # the keys of "张晓明", or searching by the first characters would miss.
        words = [_syllable(cjk)] if cjk else latin.lower().split()
        for part in words:
            word = _ASCII_LETTERS.sub("", part)
            if word:
                full.append(word)
                initials.append(word[0])
    return "".join(full), "".join(initials)


@lru_cache(maxsize=16384)
def _syllable(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0]


def normalize_query(text: str) -> str:
    return re.sub(r"\s+", "", text or "").lower()


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`.

    `field >= prefix AND field < bound` is a prefix search that any B-tree index serves,
    on SQLite and PostgreSQL alike, without LIKE or collation tricks.
    """
    return prefix + "\U0010ffff"
