"""A certificate as a one-page PDF (A4): the statement, the hours, the serial and the QR.

fpdf2 writes it and embeds a subset of a CJK font (only the glyphs used), so the Chinese
text shows on any reader; the font is Noto Sans CJK SC from Debian's fonts-noto-cjk, or
the file named by `GONGZHI_CJK_FONT`. The QR (segno, as a PNG image) carries the
certificate's /verify link, whose `t` is the whole signed token: a phone opens the page,
and any reader of the code can check the token offline.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import segno
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from gongzhi.points import signing
from gongzhi.points.certificates import Shown

# Noto Sans CJK's collections hold JP, KR, SC, TC, HK in this order: 2 is Simplified Chinese.
FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
)
# fontTools logs every subsetting step at INFO: not for the server's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)
QR_SCALE = 4  # pixels per module in the embedded image
QR_BORDER = 4  # modules of quiet zone


def font_file() -> tuple[str, int]:
    named = os.environ.get("GONGZHI_CJK_FONT", "")
    if named:
        return named, int(os.environ.get("GONGZHI_CJK_FONT_INDEX", "0"))
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    raise RuntimeError(
        "No CJK font for certificate PDFs: install Debian's fonts-noto-cjk, or name a "
        "TTF/OTF/TTC file in GONGZHI_CJK_FONT"
    )


def verify_link(token: str) -> str:
    base = str(getattr(settings, "GONGZHI_PUBLIC_URL", "")).rstrip("/")
    return f"{base}/verify/?t={token}"


def qr_of(token: str) -> segno.QRCode:
    """The QR of a certificate: its /verify link with the token (error correction M)."""
    return segno.make(verify_link(token), error="m", micro=False)


def qr_png(token: str) -> bytes:
    out = io.BytesIO()
    qr_of(token).save(out, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return out.getvalue()


def render(shown: Shown) -> bytes:
    """The PDF of one certificate."""
    payload = shown.payload
    path, index = font_file()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(_("Certificate of volunteer service hours"))
    pdf.set_creator("Gongzhi")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    width = pdf.w - 2 * 20
    pdf.set_left_margin(20)
    pdf.set_right_margin(20)

    pdf.set_y(28)
    pdf.set_font("cjk", size=24)
    pdf.cell(width, 14, _("Certificate of volunteer service hours"), align="C")
    pdf.ln(20)

    pdf.set_font("cjk", size=13)
    statement = _(
        "%(community)s certifies that %(holder)s gave %(hours)s hours of volunteer "
        "service from %(start)s to %(end)s."
    ) % {
        "community": payload["community_name"],
        "holder": payload["holder"],
        "hours": payload["hours"],
        "start": payload["period_start"],
        "end": payload["period_end"],
    }
    pdf.multi_cell(width, 8, statement, align="L")
    pdf.ln(6)

    issued = signing.parse_time(payload["issued_at"])
    rows = [
        (_("Serial"), str(payload["serial"])),
        (_("Holder"), str(payload["holder"])),
        (_("Service hours"), str(payload["hours"])),
        (_("Period"), f"{payload['period_start']} – {payload['period_end']}"),
        (_("Community"), f"{payload['community_name']} ({payload['community_code']})"),
        (
            _("Issued"),
            timezone.localtime(issued).strftime("%Y-%m-%d %H:%M") if issued else "",
        ),
        (_("Signing key"), f"{payload['key_id']} ({payload['alg']})"),
    ]
    pdf.set_font("cjk", size=11)
    for label, value in rows:
        pdf.cell(40, 8, label)
        pdf.cell(width - 40, 8, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    size = 70  # mm: a long token needs room for a phone to read it from paper
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(shown.token)), x=20, y=top, w=size, h=size)
    pdf.set_xy(20 + size + 6, top + 4)
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(
        width - size - 6,
        6,
        _(
            "Scan the code to check this certificate, or paste the code at %(link)s. "
            "Without a network: check it against the published keys (%(keys)s) with "
            "the command “gongzhi certificates verify”."
        )
        % {
            "link": verify_link("").split("?")[0],
            "keys": verify_link("").split("?")[0] + "keys.json",
        },
        align="L",
    )
    pdf.set_y(285)
    pdf.set_font("cjk", size=8)
    pdf.cell(width, 5, _("Names are shown masked to protect the holder."), align="C")
    return bytes(pdf.output())
