"""QR codes drawn as inline SVG (segno): the one place the platform marks one safe.

The SVG is segno's own drawing of `text`: paths only, the text is never inside it, so it is
safe to inline in a page whatever `text` holds."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str, *, border: int = 4, scale: int | None = None) -> SafeString:
    """`scale` None: no width or height, only a viewBox, so the code fills its box."""
    code = segno.make(text, error="m")
    if scale is None:
        svg = code.svg_inline(border=border, omitsize=True)
    else:
        svg = code.svg_inline(scale=scale, border=border)
    return mark_safe(svg)  # noqa: S308 - see the module's docstring
