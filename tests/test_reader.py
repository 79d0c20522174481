"""Tests for dingmi.reader, on real files written into tmp_path."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dingmi.errors import ReadError
from dingmi.reader import MAX_BYTES, SUPPORTED_SUFFIXES, decode_text, read_bytes, read_path

OFFICIAL = (
    "关于加强涉密文件管理工作的通知\r\n"
    "各区县人民政府，市政府各部门：\r\n"
    "\u3000\u3000根据《中华人民共和国保守国家秘密法》第十条规定，现将有关事项通知如下。  \r\n"
    "\u3000\u3000一、涉密文件应当标注密级和保密期限（绝密★30年）。\r\n"
)
EXPECTED = OFFICIAL.replace("\r\n", "\n")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _code(excinfo: pytest.ExceptionInfo[ReadError]) -> str:
    return excinfo.value.code


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == frozenset(
        {".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".ofd", ".doc", ".wps",
         ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
    )
    assert MAX_BYTES == 50 * 1024 * 1024


# ---------------------------------------------------------------- plain text


@pytest.mark.parametrize(
    "encoded",
    [
        OFFICIAL.encode("utf-8"),
        OFFICIAL.encode("utf-8-sig"),
        OFFICIAL.encode("utf-16"),
        b"\xfe\xff" + OFFICIAL.encode("utf-16-be"),
        OFFICIAL.encode("gb18030"),
        OFFICIAL.encode("gbk"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16be-bom", "gb18030", "gbk"],
)
def test_plain_text_encodings(tmp_path: Path, encoded: bytes) -> None:
    text = read_path(_write(tmp_path, "通知.txt", encoded))
    assert text == EXPECTED  # BOM gone, \r\n -> \n, indentation and trailing spaces kept
    assert not text.startswith("\ufeff")


def test_gb18030_four_byte_characters() -> None:
    text = "生僻字𠀀与欧元€符号\n"
    assert decode_text(text.encode("gb18030")) == text


def test_mixed_utf8_and_gbk_lines() -> None:
    data = (
        "第一行：密级为秘密。\n".encode()
        + "第二行：保密期限十年。\r\n".encode("gbk")
        + "第三行：知悉范围限定。\r".encode()
        + "第四行：国家秘密。".encode("gb18030")
    )
    assert decode_text(data) == "第一行：密级为秘密。\n第二行：保密期限十年。\n第三行：知悉范围限定。\n第四行：国家秘密。"


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030"])
def test_traditional_and_fullwidth_pass_through(encoding: str) -> None:
    text = "關於國家秘密保護的規定，第１２３條：保密期限２０年。ＡＢＣ\n"
    assert read_bytes(text.encode(encoding), "a.txt") == text


def test_line_endings_only_change() -> None:
    assert decode_text(b"a\r\nb\rc\n\n  d\t") == "a\nb\nc\n\n  d\t"


def test_markdown_is_plain_text(tmp_path: Path) -> None:
    source = "# 标题\r\n\r\n- 条目 **加粗**\r\n"
    assert read_path(_write(tmp_path, "说明.MD", source.encode())) == "# 标题\n\n- 条目 **加粗**\n"


def test_unknown_suffix_with_text_is_plain_text() -> None:
    assert read_bytes("日志内容".encode("gbk"), "run.log") == "日志内容"
    assert read_bytes("无后缀".encode(), "") == "无后缀"


# ---------------------------------------------------------------- HTML


def test_html_visible_text(tmp_path: Path) -> None:
    html = (
        "<!DOCTYPE html><html><head><meta charset='gbk'><title>通知</title>"
        "<style>p { color: red }</style><script>var s = '<p>隐藏</p>';</script></head>"
        "<body><h1>关于&ldquo;保密&rdquo;工作&amp;要求</h1><p>第一段\n内容，A&lt;B</p>"
        "<div>第二段<br>换行</div><table><tr><th>事项</th><th>密级</th></tr>"
        "<tr><td>规划</td><td>秘密</td></tr></table></body></html>"
    )
    text = read_path(_write(tmp_path, "page.htm", html.encode("gbk")))
    assert text == "通知\n关于“保密”工作&要求\n第一段内容，A<B\n第二段\n换行\n事项\t密级\n规划\t秘密"
    assert "隐藏" not in text and "color" not in text


def test_html_without_visible_text_is_empty() -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(b"<html><script>alert(1)</script></html>", "a.html")
    assert _code(excinfo) == "DM112"


# ---------------------------------------------------------------- DOCX


def _make_docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("关于印发保密工作要点的通知")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("事项", "密级"), ("年度规划", "机密")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("以上事项请遵照执行。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    text = read_path(_write(tmp_path, "要点.docx", _make_docx()))
    assert text == "关于印发保密工作要点的通知\n事项\t密级\n年度规划\t机密\n以上事项请遵照执行。"


def test_docx_merged_cells_once_and_multi_paragraph_cells() -> None:
    from docx import Document

    document = Document()
    table = document.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = f"{r}{c}"
    table.cell(0, 0).merge(table.cell(0, 1))  # horizontal merge
    table.cell(1, 2).merge(table.cell(2, 2))  # vertical merge
    table.cell(1, 0).add_paragraph("第二段")
    buffer = io.BytesIO()
    document.save(buffer)
    assert read_bytes(buffer.getvalue(), "a.docx") == "00 01\t\t02\n10 第二段\t11\t12 22\n20\t21\t"


def test_docx_ratio_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", bytes(11 * 1024 * 1024))  # ~1000:1, > 10 MB
    assert path.stat().st_size < 100_000
    with pytest.raises(ReadError) as excinfo:
        read_path(path)
    assert _code(excinfo) == "DM114"
    assert "压缩炸弹" in excinfo.value.message


def test_docx_total_size_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb300.docx"
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(300):  # 300 MB of zeros, streamed
                member.write(chunk)
    with pytest.raises(ReadError) as excinfo:
        read_path(path)
    assert _code(excinfo) == "DM114"


def test_docx_too_many_members() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(10_001):
            archive.writestr(f"f{i}", b"")
    with pytest.raises(ReadError) as excinfo:
        read_bytes(buffer.getvalue(), "many.docx")
    assert _code(excinfo) == "DM114"


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a zip file at all",
        _make_docx()[:2000],  # truncated
        b"PK\x03\x04" + bytes(200),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),  # legacy .doc / encrypted Word
    ],
    ids=["text", "truncated", "fake-zip-header", "ole"],
)
def test_corrupt_docx(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ReadError) as excinfo:
        read_path(_write(tmp_path, "坏.docx", data))
    assert _code(excinfo) == "DM114"


def test_zip_without_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ReadError) as excinfo:
        read_bytes(buffer.getvalue(), "a.docx")
    assert _code(excinfo) == "DM114"


# ---------------------------------------------------------------- PDF

PDF_SENTENCE = "本文件涉及国家秘密，密级为机密，保密期限二十年。"


def _make_pdf(pages: list[str], *, draw_only: bool = False) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for line in pages:
        if draw_only:
            pdf.rect(72, 500, 300, 200, fill=1)
        else:
            pdf.setFont("STSong-Light", 14)
            pdf.drawString(72, 700, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_pdf_chinese_text(tmp_path: Path) -> None:
    data = _make_pdf([PDF_SENTENCE, "第二页：知悉范围为本单位。"])
    text = read_path(_write(tmp_path, "文件.pdf", data))
    assert PDF_SENTENCE in text
    assert text.index(PDF_SENTENCE) < text.index("第二页")


def _encrypt(data: bytes, user: str, owner: str | None = None) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user, owner)  # RC4-128: needs no extra crypto package
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_encrypted(tmp_path: Path) -> None:
    data = _encrypt(_make_pdf([PDF_SENTENCE]), "pw")
    with pytest.raises(ReadError) as excinfo:
        read_path(_write(tmp_path, "加密.pdf", data))
    assert _code(excinfo) == "DM115"
    assert "加密" in excinfo.value.message


def test_pdf_empty_user_password_is_read() -> None:
    data = _encrypt(_make_pdf([PDF_SENTENCE]), "", "owner-secret")
    assert PDF_SENTENCE in read_bytes(data, "a.pdf")


@pytest.mark.parametrize("page_count", [1, 3])
def test_pdf_image_only(tmp_path: Path, page_count: int) -> None:
    data = _make_pdf(["x"] * page_count, draw_only=True)
    with pytest.raises(ReadError) as excinfo:
        read_path(_write(tmp_path, "扫描件.pdf", data))
    assert _code(excinfo) == "DM116"
    assert "OCR" in excinfo.value.message


def test_pdf_multi_page_with_only_page_numbers() -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(_make_pdf(["1", "2", "3"]), "a.pdf")
    assert _code(excinfo) == "DM116"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n garbage without objects", b"not a pdf", _make_pdf([PDF_SENTENCE])[:300]],
    ids=["header-only", "text", "truncated"],
)
def test_pdf_corrupt(data: bytes) -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(data, "bad.pdf")
    assert _code(excinfo) == "DM119"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("name", ["empty.txt", "empty.docx", "empty.pdf", "empty"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    with pytest.raises(ReadError) as excinfo:
        read_path(_write(tmp_path, name, b""))
    assert _code(excinfo) == "DM112"


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b" \r\n\t\r\n", "\u3000\n".encode("gbk")])
def test_blank_text_is_empty(data: bytes) -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(data, "a.txt")
    assert _code(excinfo) == "DM112"


@pytest.mark.parametrize("name", ["noise.txt", "noise", "noise.md"])
def test_random_binary(tmp_path: Path, name: str) -> None:
    data = random.Random(7).randbytes(4096)
    with pytest.raises(ReadError) as excinfo:
        read_path(_write(tmp_path, name, data))
    assert _code(excinfo) == "DM113"


@pytest.mark.parametrize("data", [b"abc\x00def", b"\x01\x02\x03\x04\x05abc", "正文\x00".encode("gbk")])
def test_nul_or_control_characters_are_binary(data: bytes) -> None:
    with pytest.raises(ReadError) as excinfo:
        decode_text(data)
    assert _code(excinfo) == "DM113"


def test_unsupported_binary_suffix(tmp_path: Path) -> None:
    data = b"MZ\x90\x00\x03\x00\x00\x00" + random.Random(3).randbytes(1024)
    with pytest.raises(ReadError) as excinfo:
        read_path(_write(tmp_path, "setup.exe", data))
    assert _code(excinfo) == "DM111"
    assert "不支持的文件类型" in excinfo.value.message


def test_too_large(tmp_path: Path) -> None:
    data = ("保密" * 100).encode()
    with pytest.raises(ReadError) as excinfo:
        read_bytes(data, "a.txt", max_bytes=100)
    assert _code(excinfo) == "DM117"
    with pytest.raises(ReadError) as excinfo:
        read_path(_write(tmp_path, "big.pdf", data), max_bytes=100)  # refused before parsing
    assert _code(excinfo) == "DM117"
    assert read_bytes(data, "a.txt", max_bytes=len(data)) == "保密" * 100


def test_missing_or_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(ReadError) as excinfo:
        read_path(tmp_path / "不存在.txt")
    assert _code(excinfo) == "DM118"
    with pytest.raises(ReadError) as excinfo:
        read_path(tmp_path)
    assert _code(excinfo) == "DM118"


def test_error_str_has_code() -> None:
    with pytest.raises(ReadError, match=r"^\[DM112\] "):
        read_bytes(b"", "a.txt")


# ---------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512), st.sampled_from(["x.txt", "x.html", "x.docx", "x.pdf", "x.bin", ""]))
def test_any_bytes_give_str_or_read_error(data: bytes, name: str) -> None:
    try:
        result = read_bytes(data, name)
    except ReadError as exc:
        assert exc.code.startswith("DM11")
    else:
        assert isinstance(result, str)


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from("\r\n\t关于保密１２國"),
    )
)


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_utf8_round_trip(text: str) -> None:
    assume(not text.startswith("\ufeff"))  # a leading BOM is stripped by design
    assert decode_text(text.encode("utf-8")) == text.replace("\r\n", "\n").replace("\r", "\n")
