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
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

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


#: The 16 page-margin boxes of CSS Paged Media.
_MARGIN_BOXES = (
    *(f"@{edge}-{at}" for edge in ("top", "bottom") for at in ("left", "center", "right")),
    *(f"@{edge}-{at}" for edge in ("left", "right") for at in ("top", "middle", "bottom")),
    *(f"@{v}-{h}-corner" for v in ("top", "bottom") for h in ("left", "right")),
)


@lru_cache(maxsize=1)
def _skip_empty_margin_boxes() -> None:
    """Make WeasyPrint skip the page-margin boxes of a page when none has content.

    WeasyPrint builds all 16 margin boxes of every page (styles, counters, percentages)
    before it finds that none is generated: about an eighth of the layout of a notice page
    (profiled with pyinstrument/cProfile, issue 10 item 7), for documents that declare no
    margin content. A page whose margin boxes all have ``content: normal | none`` (what
    WeasyPrint tests to generate one) gets none, exactly as before, without building
    them; any other page is laid out by WeasyPrint's own function."""
    from weasyprint import layout

    original = getattr(layout, "make_margin_boxes", None)
    if original is None:  # another WeasyPrint: leave it alone
        return

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        for keyword in _MARGIN_BOXES:
            style = context.style_for(page.page_type, keyword)
            if style is not None and style["content"] not in ("normal", "inhibit", "none"):
                return original(context, page, state)
        return ()

    layout.make_margin_boxes = make_margin_boxes


#: The user-agent stylesheet of documents written only with html, head, title, style,
#: body, div, p, h1, br and img (a fee notice): what WeasyPrint's own HTML5 one
#: (``weasyprint/css/html5_ua.css``) gives those elements, and nothing else. WeasyPrint
#: matches every element against all ~250 rules of its own, most of them attribute
#: selectors on any element (``[dir] [dir=rtl i] ...``); for a building file of short
#: pages that matching was ~7% of the CPU (issue 10 item 7).
SIMPLE_UA_CSS = r"""
html, body, div, p, h1 { display: block }
head, link, meta, script, style, title { display: none }
body { margin: 8px }
p { margin-top: 1em; margin-bottom: 1em }
h1 { margin-top: .67em; margin-bottom: .67em; font-size: 2em; font-weight: bold;
     bookmark-level: 1; bookmark-label: content(text);
     hyphens: manual; break-after: avoid; break-inside: avoid }
img { overflow: hidden }
br::before { content: "\A"; white-space: pre-line }
@page { margin: 75px }
"""


@lru_cache(maxsize=1)
def _simple_ua() -> list[Any]:
    from weasyprint import CSS

    return [CSS(string=SIMPLE_UA_CSS)]


def html_to_pdf(html: str, *, simple_ua: bool = False) -> bytes:
    """``html`` as a PDF. With ``simple_ua`` the document is styled over
    :data:`SIMPLE_UA_CSS` instead of WeasyPrint's full HTML user-agent stylesheet; only
    for documents that use no other element than the ones it names."""
    from weasyprint import HTML  # imported lazily: heavy, and only workers need it

    _skip_empty_margin_boxes()
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    if simple_ua:
        ua = _simple_ua()
        # WeasyPrint asks the document for its user-agent sheets (HTML._ua_stylesheets).
        document._ua_stylesheets = lambda forms=False: ua
    return document.write_pdf()


def join_pdfs(sources: Iterable[BinaryIO], target: BinaryIO) -> int:
    """Write the pages of ``sources`` (PDF files, in order) into ``target`` as one PDF;
    how many pages.

    Streaming: one source is open at a time and each of its objects reachable from its
    pages is copied out as soon as it is read, so memory holds one source, not the
    result (pypdf's and pyHanko's writers keep every page until the end). A font or image
    shared by a source's pages stays one object; a source's catalog, outlines and
    metadata are left behind. Only the page list (one reference per page) and the offsets
    of the objects written grow with the result.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    start = target.tell()
    offsets: list[int] = [0, 0, 0]  # object 1: catalog, 2: page tree (written last)
    kids: list[Any] = []

    def put(number: int, obj: Any) -> None:
        offsets[number] = target.tell() - start
        target.write(b"%d 0 obj\n" % number)
        obj.write_to_stream(target)
        target.write(b"\nendobj\n")

    target.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    tree = generic.IndirectObject(2, 0, None)

    def add(source: BinaryIO) -> None:
        reader = PdfFileReader(source, strict=False)
        numbers: dict[tuple[int, int], int] = {}
        waiting: list[Any] = []
        pages: dict[tuple[int, int], dict[str, Any]] = {}  # what each page inherits

        def renumber(ref: Any) -> Any:
            key = (ref.idnum, ref.generation)
            if key not in numbers:
                numbers[key] = len(offsets)
                offsets.append(0)
                waiting.append(ref)
            return generic.IndirectObject(numbers[key], 0, None)

        def copy(obj: Any) -> Any:
            if isinstance(obj, generic.IndirectObject):
                return renumber(obj)
            if isinstance(obj, generic.StreamObject):
                data = {k: copy(obj.raw_get(k)) for k in dict.keys(obj) if k != "/Length"}
                return generic.StreamObject(data, encoded_data=obj.encoded_data)
            if isinstance(obj, generic.DictionaryObject):
                return generic.DictionaryObject({k: copy(obj.raw_get(k)) for k in dict.keys(obj)})
            if isinstance(obj, generic.ArrayObject):
                return generic.ArrayObject([copy(v) for v in obj.iterate()])
            return obj

        def walk(ref: Any, inherit: dict[str, Any]) -> None:
            node = ref.get_object()
            inherit = {**inherit, **{k: node.raw_get(k) for k in _INHERITED if k in node}}
            if node.get("/Type") == "/Pages":
                for kid in node.raw_get("/Kids").get_object().iterate():
                    walk(kid, inherit)
            else:
                pages[(ref.idnum, ref.generation)] = inherit
                kids.append(renumber(ref))

        walk(reader.root.raw_get("/Pages"), {})
        while waiting:
            ref = waiting.pop()
            key = (ref.idnum, ref.generation)
            obj = ref.get_object()
            if key in pages:  # a page: what it inherited made its own, in the new tree
                page = generic.DictionaryObject(
                    {k: copy(v) for k, v in pages[key].items() if k not in obj}
                )
                for k in dict.keys(obj):
                    if k != "/Parent":
                        page[k] = copy(obj.raw_get(k))
                page["/Parent"] = tree
                obj = page
            else:
                obj = copy(obj)
            put(numbers[key], obj)

    for source in sources:
        add(source)
    put(
        2,
        generic.DictionaryObject(
            {
                "/Type": generic.NameObject("/Pages"),
                "/Kids": generic.ArrayObject(kids),
                "/Count": generic.NumberObject(len(kids)),
            }
        ),
    )
    put(
        1,
        generic.DictionaryObject({"/Type": generic.NameObject("/Catalog"), "/Pages": tree}),
    )
    xref = target.tell() - start
    target.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(offsets))
    for offset in offsets[1:]:
        target.write(b"%010d 00000 n \n" % offset)
    target.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets), xref)
    )
    return len(kids)


_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def render_pdf(template: str, context: dict[str, Any], *, simple_ua: bool = False) -> bytes:
    """``template`` rendered with ``context`` as a PDF; the template's style block includes
    ``{{ font_faces|safe }}`` to set the document in the compact font. ``simple_ua``: see
    :func:`html_to_pdf`."""
    html = render_to_string(template, {"font_faces": font_face_css(), **context})
    return html_to_pdf(html, simple_ua=simple_ua)
