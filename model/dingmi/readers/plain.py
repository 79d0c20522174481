"""Plain text and HTML: decoding (UTF-8/UTF-16/GB18030/GBK, detected) and the visible text of a page."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from dingmi.errors import ReadError

__all__ = ["decode_text", "html_to_text", "normalize_newlines"]

# Share of non-ASCII characters that must look like Chinese text for a GB18030 decoding to be accepted.
_GB_MIN_SHARE = 0.8
# charset-normalizer guesses are used only at or below this "chaos" (mess) ratio.
_MAX_CHAOS = 0.05
# More than this share of control characters means binary content.
_MAX_CONTROL_SHARE = 0.1

_UTF_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Non-ASCII characters that are unusual in Chinese text (PUA, rare scripts, astral planes ...).
_NOT_CHINESE_LIKE_RE = re.compile(
    "[^\x00-\x7f\u00a0-\u00ff\u0391-\u03c9\u0401-\u0451\u2000-\u27bf\u3000-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)


def _undecodable() -> ReadError:
    return ReadError("文件内容不是可识别的文本（可能是二进制文件或无法识别的编码），请另存为UTF-8文本后重试", code="DM113")


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and ``\\r`` become ``\\n``; nothing else changes, so offsets stay meaningful."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- plain text


def decode_text(data: bytes) -> str:
    """Decode the bytes of a plain-text file; raise ReadError DM113 for binary or undecodable data.

    Order: UTF-32/UTF-16 with BOM; UTF-8 (BOM stripped); line by line UTF-8 then GB18030 (accepted
    when the GB lines look like Chinese text); charset-normalizer's guess when it is confident.
    Only line endings are normalised; nothing is stripped. Text with NUL bytes or over 10% control
    characters is binary. Limitation: Big5 text that happens to decode as plausible GB18030 is
    read as GB18030.
    """
    text = normalize_newlines(_decode(data))
    if "\x00" in text or len(_CONTROL_RE.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise _undecodable()
    return text


def _decode(data: bytes) -> str:
    for bom, codec in _UTF_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)  # the codec consumes the BOM
            except UnicodeDecodeError:
                raise _undecodable() from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\x00" in data:
        raise _undecodable()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _decode_lines(data)
    return text if text is not None else _guess_encoding(data)


def _decode_lines(data: bytes) -> str | None:
    """Decode each line with strict UTF-8, else strict GB18030; None if a line fails or GB looks wrong."""
    parts: list[str] = []
    gb_parts: list[str] = []
    for line in data.splitlines(keepends=True):  # \n and \r never occur inside a GB18030 character
        try:
            parts.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            decoded = line.decode("gb18030")
        except UnicodeDecodeError:
            return None
        parts.append(decoded)
        gb_parts.append(decoded)
    gb_text = "".join(gb_parts)
    non_ascii = len(gb_text) - len(gb_text.encode("ascii", "ignore"))
    if len(_NOT_CHINESE_LIKE_RE.findall(gb_text)) > (1 - _GB_MIN_SHARE) * non_ascii:
        return None
    return "".join(parts)


def _guess_encoding(data: bytes) -> str:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None and best.chaos <= _MAX_CHAOS:
            return str(best)
    except Exception:  # noqa: BLE001 - any detector failure means "undecodable"
        pass
    raise _undecodable()


# ---------------------------------------------------------------- HTML

_HTML_SKIP = frozenset({"script", "style", "template"})
_HTML_BLOCK = frozenset(
    "address article aside blockquote body br caption dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol p pre section summary "
    "table tbody tfoot thead title tr ul".split()
)
_HTML_CELLS = frozenset({"td", "th"})
_HTML_SPACE_RE = re.compile(r"[ \t\n\r\f]+")
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
# A source line break between two CJK characters is not a space in Chinese text.
_CJK_BREAK_RE = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\f]*\\n[ \\t\\n\\r\\f]*(?=[{_CJK}])")


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self._skip += 1
        elif tag == "pre":
            self._pre += 1
        if tag in _HTML_BLOCK:
            self.parts.append("\n")
        elif tag in _HTML_CELLS:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = _HTML_SPACE_RE.sub(" ", _CJK_BREAK_RE.sub("", data))
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page: one block per line, entities unescaped, empty lines dropped."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = (line.strip(" \t") for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
