"""Legacy Word .doc and WPS .wps (Word 97-2003 binary format in an OLE2 compound file).

Read with olefile and the piece table ([MS-DOC] 2.8 Clx): the ``WordDocument`` stream starts
with the FIB, whose ``fcClx``/``lcbClx`` locate the piece table in the ``0Table`` or ``1Table``
stream; each piece is either 8-bit (cp1252, "compressed") or UTF-16LE text in ``WordDocument``.
Only the main document (the first ``ccpText`` characters) is read: headers, footers, footnotes,
comments, text boxes and images are not. Field instructions are dropped and field results kept;
table cells end with ``\\t`` and rows with ``\\n``.

WPS Office writes .wps in this same format; WPS 2000 and older (not OLE2) and Word 6/95 are
refused. Errors: DM123 broken or unsupported, DM124 encrypted.
"""

from __future__ import annotations

import io
import struct

from dingmi.errors import ReadError

__all__ = ["read_msword"]

_WORD_IDENT = 0xA5EC
_NFIB_WORD97 = 0x00C1
_F_WHICH_TABLE = 0x0200
_F_ENCRYPTED = 0x0100
_F_OBFUSCATED = 0x8000
_CCP_TEXT = 0x004C
_FC_CLX = 0x01A2
_MIN_FIB = _FC_CLX + 8
# cp1252 bytes that "compressed" pieces map to other code points ([MS-DOC] 2.4.1 note).
_COMPRESSED_SPECIAL = {
    0x82: "\u201a", 0x83: "\u0192", 0x84: "\u201e", 0x85: "\u2026", 0x86: "\u2020", 0x87: "\u2021",
    0x88: "\u02c6", 0x89: "\u2030", 0x8A: "\u0160", 0x8B: "\u2039", 0x8C: "\u0152", 0x91: "\u2018",
    0x92: "\u2019", 0x93: "\u201c", 0x94: "\u201d", 0x95: "\u2022", 0x96: "\u2013", 0x97: "\u2014",
    0x98: "\u02dc", 0x99: "\u2122", 0x9A: "\u0161", 0x9B: "\u203a", 0x9C: "\u0153", 0x9F: "\u0178",
}
# Word's special characters in the text stream.
_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"
_CELL_MARK = "\x07"
_REPLACE = {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x0e": "\n", "\x1e": "-", "\xa0": "\xa0"}
_DROP = frozenset(chr(c) for c in range(0x20)) - {"\t", "\n"}


def _broken(detail: str = "") -> ReadError:
    return ReadError(f"Word/WPS文档已损坏或不是有效的.doc/.wps文件{detail}", code="DM123")


def _encrypted() -> ReadError:
    return ReadError("Word/WPS文档已加密（需要密码才能打开），无法读取；请取消密码保护后重试", code="DM124")


def read_msword(data: bytes) -> str:
    """Main-document text of a Word 97-2003 / WPS binary file."""
    import olefile

    if not olefile.isOleFile(data=data):
        if data.startswith(b"{\\rtf"):
            raise _broken("（这是RTF文件，请另存为.docx后重试）")
        raise _broken("（不是OLE复合文档；WPS 2000及更早版本的格式不支持，请另存为.docx后重试）")
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
                raise _encrypted()
            if not ole.exists("WordDocument"):
                raise _broken("（缺少WordDocument流，可能是Excel/PowerPoint文件）")
            word = ole.openstream("WordDocument").read()
            flags = _fib_flags(word)
            if flags & (_F_ENCRYPTED | _F_OBFUSCATED):
                raise _encrypted()
            table_name = "1Table" if flags & _F_WHICH_TABLE else "0Table"
            if not ole.exists(table_name):
                raise _broken(f"（缺少{table_name}流）")
            table = ole.openstream(table_name).read()
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - olefile raises many types for malformed compound files
        raise _broken() from None
    (ccp_text,) = struct.unpack_from("<i", word, _CCP_TEXT)
    fc_clx, lcb_clx = struct.unpack_from("<II", word, _FC_CLX)
    if ccp_text < 0 or lcb_clx == 0 or fc_clx + lcb_clx > len(table):
        raise _broken("（文本位置表无效）")
    raw = _piece_text(word, table[fc_clx : fc_clx + lcb_clx], ccp_text)
    return _clean(raw)


def _fib_flags(word: bytes) -> int:
    """The flags of the FIB; refuses what is not Word 97 or later."""
    if len(word) < _MIN_FIB:
        raise _broken("（文件头过短）")
    ident, nfib = struct.unpack_from("<HH", word, 0)
    (flags,) = struct.unpack_from("<H", word, 0x0A)
    if ident != _WORD_IDENT:
        raise _broken("（文件头标识无效）")
    if nfib < _NFIB_WORD97 and not flags & (_F_ENCRYPTED | _F_OBFUSCATED):
        raise _broken("（Word 6.0/95或更早的格式不支持，请另存为.docx后重试）")
    return flags


def _piece_text(word: bytes, clx: bytes, ccp_text: int) -> str:
    """The first ``ccp_text`` characters of the document, piece by piece in CP order."""
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:  # Prc: property modifiers, skipped
        (size,) = struct.unpack_from("<h", clx, pos + 1)
        if size < 0:
            raise _broken("（文本位置表无效）")
        pos += 3 + size
    if pos + 5 > len(clx) or clx[pos] != 0x02:
        raise _broken("（找不到文本位置表）")
    (lcb,) = struct.unpack_from("<I", clx, pos + 1)
    plc = clx[pos + 5 : pos + 5 + lcb]
    if lcb < 16 or len(plc) < lcb or (lcb - 4) % 12:
        raise _broken("（文本位置表无效）")
    count = (lcb - 4) // 12
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    parts: list[str] = []
    remaining = ccp_text
    for i in range(count):
        if remaining <= 0:
            break
        start, end = cps[i], cps[i + 1]
        if end < start:
            raise _broken("（文本位置表无效）")
        length = min(end - start, remaining)
        (fc_value,) = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * i + 2)
        compressed = bool(fc_value & 0x40000000)
        fc = fc_value & 0x3FFFFFFF
        if compressed:
            offset = fc // 2
            chunk = word[offset : offset + length]
            text = "".join(_COMPRESSED_SPECIAL.get(b) or chr(b) for b in chunk)
        else:
            chunk = word[fc : fc + 2 * length]
            text = chunk.decode("utf-16-le", errors="replace")
        if len(text) != length:
            raise _broken("（文本超出文件范围）")
        parts.append(text)
        remaining -= length
    if remaining > 0:
        raise _broken("（正文长度超出文本位置表）")
    return "".join(parts)


def _clean(raw: str) -> str:
    """Field results kept and instructions dropped; cells, rows and breaks made plain text."""
    out: list[str] = []
    stack: list[bool] = []  # per open field: True while in its instruction part
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == _FIELD_BEGIN:
            stack.append(True)
        elif ch == _FIELD_SEPARATOR and stack:
            stack[-1] = False
        elif ch == _FIELD_END and stack:
            stack.pop()
        elif any(stack):
            pass  # inside a field instruction
        elif ch == _CELL_MARK:
            if i + 1 < len(raw) and raw[i + 1] == _CELL_MARK:  # last cell mark, then the row mark
                out.append("\n")
                i += 1
            else:
                out.append("\t")
        elif ch in _REPLACE:
            out.append(_REPLACE[ch])
        elif ch not in _DROP:
            out.append(ch)
        i += 1
    return "".join(out).rstrip("\n")
