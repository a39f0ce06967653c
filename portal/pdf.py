"""PDF plumbing shared by the apps' ``pdf`` modules: the CJK font, HTML → PDF, QR codes.

Each app's ``pdf.py`` renders what its selectors gathered into a template and hands the
HTML to :func:`render_pdf`; this module is the one place that imports WeasyPrint for
them and knows the fonts.

The font: WeasyPrint subsets fonts but keeps glyph ids, so a document set in the full Noto
CJK font (65,000 glyphs, Chinese ones at high ids) carries a glyph table up to the highest
id used: ~250 KB for a one-page notice. Re-numbering the glyphs of the characters we need
(ASCII, punctuation and the 7,445 GB 2312 characters) into a small font once, and setting
documents in it, keeps a notice far smaller and faster. Rarer characters (a name with an
unusual character) fall back to the full system font glyph by glyph.
"""

import base64
import contextlib
import io
import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import qrcode
from django.conf import settings
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# WeasyPrint reports every layout step at INFO; that is noise in a worker's log.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

FAMILY = "Portal CJK SC"
SOURCES = {
    "normal": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "bold": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
}
SC_INDEX = 2  # Noto Sans CJK SC inside the collections


def _charset() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    chars |= set(range(0x2000, 0x2070)) | set(range(0x2100, 0x2200)) | set(range(0x3000, 0x3040))
    chars |= set(range(0xFF00, 0xFFF0))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(ord(bytes([high, low]).decode("gb2312")))
    return chars


def _build(source: str, target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "vhea", "vmtx", "VORG"]
    font = TTFont(source, fontNumber=SC_INDEX)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_charset())
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside and rename: concurrent workers never see half a file.
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    font.save(tmp)
    os.replace(tmp, target)


@lru_cache(maxsize=1)
def font_face_css() -> str:
    """@font-face rules for the compact font (built on first use), or '' if unavailable."""
    rules = []
    for weight, source in SOURCES.items():
        target = Path(settings.VAR_DIR) / "fonts" / f"portal-cjk-sc-{weight}.otf"
        try:
            if not target.exists():
                if not Path(source).exists():
                    continue
                logger.info("building %s from %s", target, source)
                _build(source, target)
        except Exception:  # a missing font is no reason to fail a document
            logger.exception("could not build %s", target)
            continue
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; '
            f'src: url("{target.as_uri()}"); }}'
        )
    return "\n".join(rules)


@lru_cache(maxsize=4096)
def qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as a PNG data URI. A raster image is drawn once per PDF and
    reused on every page (an SVG path would be re-drawn per notice, a quarter of the
    render time of a building file); 8 px per module is ~250 dpi at 26 mm."""
    image = qrcode.make(url, box_size=8, border=1)
    buffer = io.BytesIO()
    image.save(buffer)  # PNG, the image's own kind
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported lazily: heavy, and only workers need it

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """``template`` rendered with ``context`` as a PDF; the template's style block includes
    ``{{ font_faces|safe }}`` to set the document in the compact font."""
    return html_to_pdf(render_to_string(template, {"font_faces": font_face_css(), **context}))
