"""Minimal writers for the test fixtures: OFD packages, OLE2 compound files with a Word 97
``WordDocument``, and page images rendered from known text.

No registry package writes .doc or OFD, so these follow the specifications directly
(GB/T 33190-2016 for OFD; [MS-CFB] and [MS-DOC] for .doc/.wps): only what the readers need.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

NS = "http://www.ofdspec.org/2016"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

# ---------------------------------------------------------------- OFD


@dataclass
class OfdPage:
    """A page: lines of text (drawn top to bottom), optional images (PNG bytes) and a template id."""

    lines: list[str] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    template: str = ""
    per_char: bool = True  # one TextObject per character, as many OFD producers write
    shuffle: int | None = None  # seed: write the objects in a random order


def _text_objects(lines: list[str], per_char: bool, shuffle: int | None, start_id: int, top: float = 37.0) -> list[str]:
    size = 5.6  # mm: 三号 (16 pt)
    objects: list[str] = []
    oid = start_id
    for row, line in enumerate(lines):
        y = top + row * 10.0
        if per_char:
            for col, ch in enumerate(line):
                if ch == " ":
                    continue
                x = 27.0 + col * size
                objects.append(
                    f'<ofd:TextObject ID="{oid}" Boundary="{x:.2f} {y - size:.2f} {size} {size * 1.3:.2f}" Font="3" '
                    f'Size="{size}"><ofd:FillColor Value="0 0 0"/>'
                    f'<ofd:TextCode X="0" Y="{size}">{_esc(ch)}</ofd:TextCode>'
                    "</ofd:TextObject>"
                )
                oid += 1
        else:
            deltas = f"g {len(line) - 1} {size}" if len(line) > 1 else ""
            objects.append(
                f'<ofd:TextObject ID="{oid}" Boundary="27 {y - size:.2f} 156 {size * 1.3:.2f}" Font="3" Size="{size}">'
                f'<ofd:TextCode X="0" Y="{size}" DeltaX="{deltas}">{_esc(line)}</ofd:TextCode></ofd:TextObject>'
            )
            oid += 1
    if shuffle is not None:
        random.Random(shuffle).shuffle(objects)
    return objects


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _content(objects: list[str], template: str = "") -> str:
    tpl = f'<ofd:Template TemplateID="{template}" ZOrder="Background"/>' if template else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}">{tpl}'
        '<ofd:Area><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:Area>'
        f'<ofd:Content><ofd:Layer ID="2" Type="Body">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def ofd_bytes(pages: list[OfdPage], templates: dict[str, list[str]] | None = None,
              parts: dict[str, bytes] | None = None, doc_root: str = "Doc_0/Document.xml") -> bytes:
    """An OFD package; ``parts`` adds or replaces raw members (for broken files)."""
    members: dict[str, bytes] = {}
    members["OFD.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
        "<ofd:DocBody><ofd:DocInfo><ofd:DocID>6d1c9a</ofd:DocID><ofd:Creator>dingmi-tests</ofd:Creator></ofd:DocInfo>"
        f"<ofd:DocRoot>{doc_root}</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
    ).encode()
    tpl_xml = "".join(f'<ofd:TemplatePage ID="{tid}" BaseLoc="Tpls/Tpl_{tid}/Content.xml"/>'
                      for tid in (templates or {}))
    media: list[str] = []
    page_refs: list[str] = []
    next_id = 1000
    for i, page in enumerate(pages):
        objects = _text_objects(page.lines, page.per_char, page.shuffle, next_id)
        next_id += 1000
        for k, png in enumerate(page.images):
            rid = 500 + 10 * i + k
            media.append(f'<ofd:MultiMedia ID="{rid}" Type="Image" Format="PNG"><ofd:MediaFile>image_{rid}.png'
                         "</ofd:MediaFile></ofd:MultiMedia>")
            members[f"Doc_0/Res/image_{rid}.png"] = png
            objects.append(f'<ofd:ImageObject ID="{next_id + k}" ResourceID="{rid}" Boundary="0 0 210 297" '
                           'CTM="210 0 0 297 0 0"/>')
        members[f"Doc_0/Pages/Page_{i}/Content.xml"] = _content(objects, page.template).encode()
        page_refs.append(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>')
    for tid, lines in (templates or {}).items():
        objects = _text_objects(lines, False, None, 9000, top=15.0)
        members[f"Doc_0/Tpls/Tpl_{tid}/Content.xml"] = _content(objects).encode()
    res_ref = ""
    if media:
        members["Doc_0/DocumentRes.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
            f'<ofd:MultiMedias>{"".join(media)}</ofd:MultiMedias></ofd:Res>'
        ).encode()
        res_ref = "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>"
    members["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
        "<ofd:MaxUnitID>99999</ofd:MaxUnitID>"
        "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
        f"{res_ref}{tpl_xml}</ofd:CommonData><ofd:Pages>{''.join(page_refs)}</ofd:Pages></ofd:Document>"
    ).encode()
    members.update(parts or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------- OLE2 / Word 97

_SECTOR = 512
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_MIN_STREAM = 4096  # streams at or above the mini-stream cutoff live in regular sectors


def ole_bytes(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` under the root storage (each padded to 4 KB)."""
    names = list(streams)
    bodies = [streams[n].ljust(_MIN_STREAM, b"\x00") for n in names]
    sectors: list[bytes] = []
    fat: list[int] = []
    starts: list[int] = []
    for body in bodies:
        body = body.ljust(-(-len(body) // _SECTOR) * _SECTOR, b"\x00")
        count = len(body) // _SECTOR
        starts.append(len(sectors))
        for k in range(count):
            sectors.append(body[k * _SECTOR : (k + 1) * _SECTOR])
            fat.append(len(sectors) if k < count - 1 else _END)
    entries = [_dir_entry("Root Entry", 5, _END, 0, child=1 if names else _NOSTREAM)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else _NOSTREAM
        entries.append(_dir_entry(name, 2, starts[i], len(streams[name].ljust(_MIN_STREAM, b"\x00")), right=right))
    while len(entries) % 4:
        entries.append(_dir_entry("", 0, 0, 0))
    dir_start = len(sectors)
    dir_blob = b"".join(entries)
    dir_count = len(dir_blob) // _SECTOR
    for k in range(dir_count):
        sectors.append(dir_blob[k * _SECTOR : (k + 1) * _SECTOR])
        fat.append(dir_start + k + 1 if k < dir_count - 1 else _END)
    fat_count = 1
    while len(sectors) + fat_count > fat_count * 128:
        fat_count += 1
    fat_start = len(sectors)
    fat.extend([_FATSECT] * fat_count)
    fat.extend([_FREE] * (fat_count * 128 - len(fat)))
    fat_blob = struct.pack(f"<{len(fat)}I", *fat)
    for k in range(fat_count):
        sectors.append(fat_blob[k * _SECTOR : (k + 1) * _SECTOR])
    difat = [fat_start + k for k in range(fat_count)] + [_FREE] * (109 - fat_count)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
        + struct.pack("<IIIIIIIII", 0, fat_count, dir_start, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<109I", *difat)
    )
    assert len(header) == _SECTOR
    return header + b"".join(sectors)


def _dir_entry(name: str, kind: int, start: int, size: int, *, child: int = _NOSTREAM, right: int = _NOSTREAM) -> bytes:
    raw = name.encode("utf-16-le")
    name_field = (raw + b"\x00\x00").ljust(64, b"\x00") if name else bytes(64)
    return (
        name_field
        + struct.pack("<HBB", len(raw) + 2 if name else 0, kind, 1)
        + struct.pack("<III", _NOSTREAM, right if kind else _NOSTREAM, child if kind else _NOSTREAM)
        + bytes(16 + 4 + 8 + 8)
        + struct.pack("<IQ", start, size)
    )


def word97_bytes(pieces: list[tuple[str, bool]], *, main_chars: int | None = None, encrypted: bool = False,
                 table: str = "1Table", nfib: int = 0xC1, prc: bool = True) -> bytes:
    """A .doc: ``pieces`` are (text, compressed) in CP order; ``main_chars`` is ccpText (default: all)."""
    text_area = bytearray()
    fcs: list[int] = []
    text_start = 1024
    for text, compressed in pieces:
        offset = text_start + len(text_area)
        if compressed:
            text_area += text.encode("cp1252")
            fcs.append((offset * 2) | 0x40000000)
        else:
            text_area += text.encode("utf-16-le")
            fcs.append(offset)
    cps = [0]
    for text, _ in pieces:
        cps.append(cps[-1] + len(text))
    plc = struct.pack(f"<{len(cps)}I", *cps) + b"".join(struct.pack("<HIH", 0, fc, 0) for fc in fcs)
    prc_bytes = b"\x01" + struct.pack("<h", 3) + b"\x00\x00\x00" if prc else b""  # one Prc with 3 bytes of grpprl
    clx = prc_bytes + b"\x02" + struct.pack("<I", len(plc)) + plc
    flags = (0x0200 if table == "1Table" else 0) | (0x0100 if encrypted else 0)
    fib = bytearray(900)
    struct.pack_into("<HHHHHH", fib, 0, 0xA5EC, nfib, 0, 0x0804, 0, flags)
    struct.pack_into("<H", fib, 32, 14)
    struct.pack_into("<H", fib, 62, 22)
    struct.pack_into("<i", fib, 0x4C, cps[-1] if main_chars is None else main_chars)
    struct.pack_into("<H", fib, 152, 0x5D)
    struct.pack_into("<II", fib, 0x1A2, 0, len(clx))
    word = bytes(fib).ljust(text_start, b"\x00") + bytes(text_area)
    return ole_bytes({"WordDocument": word, table: clx, "\x05SummaryInformation": b"\xfe\xff" + bytes(46)})


# ---------------------------------------------------------------- page images


def wrap(paragraphs: list[str], columns: int) -> list[str]:
    """Paragraphs laid out as a page does: at most ``columns`` characters a line (an indent counts)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(paragraph[i : i + columns] for i in range(0, len(paragraph), columns))
    return lines


def page_image(lines: list[str], *, size: int = 32, width: int = 1240, height: int = 1754, noise: int = 0,
               seed: int = 1, centered: frozenset[int] = frozenset()) -> object:
    """A white A4 page at 150 dpi with ``lines`` in black (WenQuanYi Zen Hei), optional speckle noise.

    Lines are drawn from the left margin (a leading "\u3000\u3000" indents), those in ``centered`` centred."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(CJK_FONT), size)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        x = (width - draw.textlength(line, font=font)) / 2 if row in centered else 110
        draw.text((x, 160 + row * int(size * 1.9)), line, font=font, fill=0)
    if noise:
        rng = random.Random(seed)
        pixels = image.load()
        for _ in range(noise):
            pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 255))
    return image


def png_bytes(image: object) -> bytes:
    """PNG encoding of a Pillow image."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    return buffer.getvalue()
