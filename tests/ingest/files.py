"""Small real files of each supported format, made by the tests themselves."""
from __future__ import annotations

import io


def make_pdf(lines: list[str], info: dict[str, str] | None = None) -> bytes:
    """A one-page PDF with a real text layer (Helvetica, WinAnsi), written object by object; `info` is its document
    information dictionary (Title, Author, CreationDate)."""
    return make_pages_pdf([lines], info)


def make_pages_pdf(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A PDF of these pages, each its lines top to bottom, as `make_pdf` writes one."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    font = 3 + 2 * len(pages)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{3 + 2 * i} 0 R' for i in range(len(pages)))}] /Count {len(pages)} >>"
               .encode()]
    for i, lines in enumerate(pages):
        stream = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
        content = stream.encode("cp1252")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R"
                       f" /Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    if info:
        objects.append(("<< " + " ".join(f"/{k} ({escape(v)})" for k, v in info.items()) + " >>").encode("cp1252"))
    return pdf_file(objects, f" /Info {len(objects)} 0 R" if info else "")


def make_drawn_pdf(pages: list[str], forms: list[str] = ()) -> bytes:
    """A PDF of these content streams, one a page, drawn in a font F1 (Helvetica, WinAnsi) whose every character
    its /Widths make half an em wide (so that a test places words where they end), and form XObjects X0, X1, ...
    of the streams `forms` in that font, which any page may draw."""
    font = 3 + 2 * len(pages)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{3 + 2 * i} 0 R' for i in range(len(pages)))}] /Count {len(pages)} >>"
               .encode()]
    xobjects = " ".join(f"/X{i} {font + 1 + i} 0 R" for i in range(len(forms)))
    for i, stream in enumerate(pages):
        content = stream.encode("cp1252")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R"
                       f" /Resources << /Font << /F1 {font} 0 R >> /XObject << {xobjects} >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /FirstChar 32"
                   b" /LastChar 255 /Widths [" + b" ".join([b"500"] * 224) + b"] >>")
    for stream in forms:
        content = stream.encode("cp1252")
        objects.append(f"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R >>"
                       f" >> /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    return pdf_file(objects)


def drawn_words(lines: list[str], how: str, x: float = 72, y: float = 720, size: int = 12, leading: int = 16,
                forms: list[str] | None = None) -> str:
    """A content stream (for `make_drawn_pdf`) that draws each word of these lines on its own, as some producers do:
    `drawString` as ReportLab's canvas writes it (BT, its place, the word, a move to the next line: `Tj T*`, ET),
    `translate` the same moved to the word's place first (q, cm, Q), `form` each word a form XObject of its own (its
    stream appended to `forms`), `letters` each letter on its own. Words lie a quarter of an em apart, letters touch."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    out = [f"BT /F1 {size} Tf {size * 1.2:g} TL ET"]
    for n, line in enumerate(lines):
        at, base = x, y - n * leading
        pieces = list(line.replace(" ", "")) if how == "letters" else line.split()
        spaces = [c == " " for c in line] if how == "letters" else []
        for piece in pieces:
            if how in ("drawString", "letters"):
                out.append(f"BT 1 0 0 1 {at:g} {base:g} Tm ({escape(piece)}) Tj T* ET")
            elif how == "translate":
                out.append(f"q 1 0 0 1 {at:g} {base:g} cm BT 1 0 0 1 0 0 Tm ({escape(piece)}) Tj T* ET Q")
            elif how == "form":
                out.append(f"q 1 0 0 1 {at:g} {base:g} cm /X{len(forms)} Do Q")
                forms.append(f"BT /F1 {size} Tf 0 0 Td ({escape(piece)}) Tj ET")
            at += size * len(piece) / 2
            if how == "letters":
                del spaces[0]
                while spaces and spaces[0]:
                    at += size / 2
                    del spaces[0]
            else:
                at += size / 4
    return "\n".join(out)


def shared_content_pdf(pages: int, content: bytes) -> bytes:
    """A PDF of `pages` pages that all draw one compressed content stream (a bomb when it is large)."""
    import zlib

    packed = zlib.compress(content, 9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R"
            b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>")
    return pdf_file([b"<< /Type /Catalog /Pages 2 0 R >>",
                     f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
                     f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed + b"\nendstream",
                     *[page] * pages])


def shared_font_map_pdf(pages: int, entries: int) -> bytes:
    """A PDF of `pages` pages of four letters each, in one font whose character map has `entries` entries."""
    import zlib

    def stream(data: bytes) -> bytes:
        packed = zlib.compress(data, 9)
        return f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed + b"\nendstream"

    cmap = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <0000> <FFFF>"
            b" endcodespacerange"]
    for first in range(0, entries, 100):
        cmap += [b"100 beginbfchar", *(b"<%04X> <%04X>" % (j % 65536, 0x41 + j % 26) for j in range(first, first + 100)),
                 b"endbfchar"]
    kids = " ".join(f"{6 + i} 0 R" for i in range(pages))
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Resources << /Font << /F1 3 0 R >> >>"
            b" /Contents 5 0 R >>")
    return pdf_file([b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
                     b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 4 0 R"
                     b" /DescendantFonts [] >>",
                     stream(b"\n".join(cmap + [b"endcmap end end"])),
                     stream(b"BT /F1 12 Tf 10 10 Td <0041004200430044> Tj ET"), *[page] * pages])


def pdf_file(objects: list[bytes], trailer: str = "") -> bytes:
    """A PDF of these objects (the first is the catalogue), numbered from 1, with its cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_image_only_pdf() -> bytes:
    """A valid PDF page with no text layer, like a scan."""
    return make_pdf([]).replace(b"BT /F1 12 Tf 72 720 Td 16 TL  ET", b"0 0 m 10 10 l S")


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None, properties: dict | None = None) -> bytes:
    """A Word document with paragraphs, an optional table and core properties (author, title, created, ...)."""
    from docx import Document

    document = Document()
    for name, value in (properties or {}).items():
        setattr(document.core_properties, name, value)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


HTML_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Kundlojalitet</title>
<script>var tracking = "SECRET_SCRIPT_TEXT";</script>
<style>.x { color: red }</style></head>
<body>
<nav><a href="/">Hem</a> <a href="/om">Om oss</a> NAVIGATION_MENU_TEXT</nav>
<header><p>HEADER_BANNER_TEXT</p></header>
<main><article>
<h1>Lojala kunder är lönsamma kunder</h1>
<p>Kundlojalitet byggs genom att förstå kundens behov och leverera en personlig upplevelse varje gång.
Företag som lyssnar på sina kunder och agerar på det de lär sig behåller dem längre.</p>
<p>Data och analys gör det möjligt att se vilka kunder som är mest värdefulla och vad de förväntar sig.
Därför investerar många organisationer i kundinsikt och i att använda den i sina processer.</p>
</article></main>
<footer><p>FOOTER_COPYRIGHT_TEXT</p></footer>
<script>console.log("MORE_SCRIPT_TEXT")</script>
</body></html>
"""


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="word/document.xml"/></Relationships>'
)
W_OPEN = '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
W_CLOSE = "</w:body></w:document>"


def make_docx_package(parts: dict[str, bytes | str], stream: dict[str, tuple] | None = None) -> bytes:
    """A zip-based DOCX package written member by member; `stream` members, (block, n[, head, tail]), repeat a
    block n times (bombs) between an optional head and tail."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        for name, data in parts.items():
            archive.writestr(name, data)
        for name, (block, times, *ends) in (stream or {}).items():
            head, tail = ends or (b"", b"")
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(head)
                for _ in range(times):
                    member.write(block)
                member.write(tail)
    return buffer.getvalue()


def docx_paragraphs_xml(paragraphs: list[str]) -> str:
    """word/document.xml holding the given paragraphs."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return W_OPEN + body + W_CLOSE


def zeros_bomb_docx(megabytes: int = 211) -> bytes:
    """The issue's bomb: word/document.xml is `megabytes` MB of zeros, compressed to well under 1 MB."""
    return make_docx_package({}, {"word/document.xml": (bytes(1 << 20), megabytes)})
