"""Small real files for knowledge-base tests, PDFs included (written byte by byte: Latin
text in Helvetica, CJK text through a Type0 font whose ToUnicode map gives the characters)."""

from __future__ import annotations

from pathlib import Path


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(lines: list[str], cjk: dict[str, int]) -> bytes:
    ops = ["BT", "72 720 Td", "14 TL"]
    for line in lines:
        if any(ch in cjk for ch in line):
            codes = "".join(f"{cjk[ch]:04X}" for ch in line if ch in cjk)
            ops.append(f"/F2 12 Tf <{codes}> Tj T*")
        else:
            ops.append(f"/F1 12 Tf ({_escape(line)}) Tj T*")
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def _to_unicode(cjk: dict[str, int]) -> bytes:
    pairs = "\n".join(f"<{code:04X}> <{ord(ch):04X}>" for ch, code in cjk.items())
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{len(cjk)} beginbfchar\n{pairs}\nendbfchar\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("ascii")


def make_pdf(
    path: Path, lines: list[str], *, title: str | None = None, mod_date: str | None = None
) -> Path:
    """A one-page PDF whose text layer holds `lines` (CJK lines through a Type0 font)."""
    cjk: dict[str, int] = {}
    for line in lines:
        for ch in line:
            if ord(ch) > 0x2E80 and ch not in cjk:
                cjk[ch] = len(cjk) + 1
    content = _content(lines, cjk)
    cmap = _to_unicode(cjk)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /NotoSansCJK /Encoding /Identity-H "
        b"/DescendantFonts [7 0 R] /ToUnicode 8 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NotoSansCJK "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/FontDescriptor 9 0 R /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
        b"<< /Type /FontDescriptor /FontName /NotoSansCJK /Flags 4 /FontBBox [0 0 1000 1000] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ]
    info = []
    if title:
        info.append(f"/Title ({_escape(title)})")
    if mod_date:
        info.append(f"/ModDate ({mod_date})")
    objects.append(("<< " + " ".join(info) + " >>").encode("latin-1"))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    path.write_bytes(bytes(out))
    return path
