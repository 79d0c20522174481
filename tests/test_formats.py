"""OFD, .doc and .wps, and images without OCR: real files written by tests/format_writers.py."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import olefile
import pytest
from format_writers import NS, OfdPage, ofd_bytes, ole_bytes, word97_bytes, wrap
from hypothesis import given, settings
from hypothesis import strategies as st

from dingmi.errors import ReadError
from dingmi.header import parse_header
from dingmi.reader import annotate, extract_bytes, extract_path, read_bytes, read_path

HEAD = ["000123", "机密★20年", "特急", "", "×市教育局文件", "×教发〔2026〕12号", "关于做好2026年中考试卷保密工作的通知"]
BODY = ["各县（区）教育局：", "试题、参考答案和评分标准在启用前属于机密级国家秘密。"]


def _code(excinfo: pytest.ExceptionInfo[ReadError]) -> str:
    return excinfo.value.code


# ---------------------------------------------------------------- OFD


def test_ofd_multi_page_reading_order_and_header(tmp_path: Path) -> None:
    pages = [
        OfdPage([line for line in HEAD if line], shuffle=7),  # one object per character, written shuffled
        OfdPage(BODY, per_char=False),  # one object per line with DeltaX "g n size"
        OfdPage(["×市教育局", "2026年3月2日"], shuffle=11),
    ]
    path = tmp_path / "通知.ofd"
    path.write_bytes(ofd_bytes(pages))
    extracted = extract_path(path)
    expected = "\n".join([line for line in HEAD if line] + BODY + ["×市教育局", "2026年3月2日"])
    assert extracted.text == expected
    assert extracted.source.format == "ofd" and extracted.source.pages == 3 and not extracted.source.ocr
    header = parse_header(extracted.text)
    assert header.marking == "机密★20年" and header.marking_level == "机密"
    assert header.copy_number == "000123"
    assert header.doc_number == "×教发〔2026〕12号"
    assert header.issue_date == "2026-03-02"
    start, end = header.marking_span or (0, 0)
    assert extracted.text[start:end] == "机密★20年"  # offsets index the extracted text


def test_ofd_lines_wrapped_by_the_layout_are_joined() -> None:
    paragraph = "\u3000\u3000根据工作安排，定于6月20日举行全省统一考试，试题、参考答案和评分标准启用前属于国家秘密，请各单位严格保管。"
    lines = ["关于考试工作的通知", "各市教育局："] + wrap([paragraph], 28) + ["特此通知。"]
    text = read_bytes(ofd_bytes([OfdPage(lines, shuffle=5)]), "a.ofd")
    assert text == "关于考试工作的通知\n各市教育局：\n" + paragraph.lstrip("\u3000") + "\n特此通知。"  # indent is layout


def test_ofd_template_text_is_merged_by_position() -> None:
    data = ofd_bytes([OfdPage(["正文第一行", "正文第二行"], template="100")], templates={"100": ["版头：×市人民政府"]})
    assert read_bytes(data, "a.ofd") == "版头：×市人民政府\n正文第一行\n正文第二行"


def test_ofd_gap_between_runs_on_one_line_is_a_space() -> None:
    def obj(oid: int, box: str, text: str) -> str:
        return (f'<ofd:TextObject ID="{oid}" Boundary="{box}" Size="5">'
                f'<ofd:TextCode X="0" Y="5">{text}</ofd:TextCode></ofd:TextObject>')

    line, far = obj(1, "20 30 20 8", "份号"), obj(2, "150 30 30 8", "000123")
    page = (f'<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="9"><ofd:PageBlock ID="3">{far}{line}'
            "</ofd:PageBlock></ofd:Layer></ofd:Content></ofd:Page>")
    data = ofd_bytes([OfdPage(["x"])], parts={"Doc_0/Pages/Page_0/Content.xml": page.encode()})
    assert read_bytes(data, "a.ofd") == "份号 000123"


def test_ofd_absolute_references_and_backslashes() -> None:
    document = ofd_bytes([OfdPage(["第一页"])])
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        xml = archive.read("Doc_0/Document.xml").decode()
    xml = xml.replace('BaseLoc="Pages/Page_0', 'BaseLoc="/Doc_0\\Pages/Page_0')
    data = ofd_bytes([OfdPage(["第一页"])], parts={"Doc_0/Document.xml": xml.encode()})
    assert read_bytes(data, "a.ofd") == "第一页"


def _ofd_with(**parts: bytes) -> bytes:
    return ofd_bytes([OfdPage(["正文"])], parts={k.replace("__", "/"): v for k, v in parts.items()})


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + bytes(100),
        ofd_bytes([OfdPage(["正文"]), OfdPage(["第二页"])])[:400],  # truncated
        b"not an ofd",
        _ofd_with(**{"OFD.xml": b"<ofd:OFD xmlns:ofd='x'><unclosed>"}),
        _ofd_with(**{"OFD.xml": f"<ofd:OFD xmlns:ofd='{NS}'/>".encode()}),  # no DocBody
        ofd_bytes([OfdPage(["正文"])], doc_root="../../etc/Document.xml"),  # leaves the package
        ofd_bytes([OfdPage(["正文"])], doc_root="Doc_9/Document.xml"),  # missing part
        _ofd_with(**{"Doc_0__Pages__Page_0__Content.xml": (
            '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            f'<ofd:Page xmlns:ofd="{NS}"><ofd:Content>&b;</ofd:Content></ofd:Page>').encode()}),
        _ofd_with(**{"Doc_0__Pages__Page_0__Content.xml": f"<ofd:Page xmlns:ofd='{NS}'/>".encode("utf-16")}),
    ],
    ids=["fake-zip", "truncated", "text", "bad-xml", "no-docbody", "path-escape", "missing-part", "entities", "utf16"],
)
def test_ofd_broken(data: bytes) -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(data, "坏.ofd")
    assert _code(excinfo) == "DM122"
    assert "OFD" in excinfo.value.message


def test_ofd_zip_bomb_and_unsafe_member_name() -> None:
    bomb = _ofd_with(**{"Doc_0__Res__big.bin": bytes(11 * 1024 * 1024)})
    with pytest.raises(ReadError) as excinfo:
        read_bytes(bomb, "bomb.ofd")
    assert _code(excinfo) == "DM122" and "压缩炸弹" in excinfo.value.message
    slip = _ofd_with(**{"../evil.xml": b"<x/>"})
    with pytest.raises(ReadError) as excinfo:
        read_bytes(slip, "slip.ofd")
    assert _code(excinfo) == "DM122" and "不安全" in excinfo.value.message


def test_ofd_without_text() -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(ofd_bytes([OfdPage([])]), "blank.ofd")
    assert _code(excinfo) == "DM112"


def test_scanned_ofd_without_ocr_needs_ocr() -> None:
    png = _tiny_png()
    with pytest.raises(ReadError) as excinfo:
        read_bytes(ofd_bytes([OfdPage([], images=[png]), OfdPage([], images=[png])]), "扫描.ofd")
    assert _code(excinfo) == "DM125" and "需要OCR" in excinfo.value.message


def test_ofd_with_some_scanned_pages_reads_the_text_and_counts_the_rest() -> None:
    extracted = extract_bytes(ofd_bytes([OfdPage(["第一页有文字"]), OfdPage([], images=[_tiny_png()])]), "a.ofd")
    assert extracted.text == "第一页有文字\n"
    assert extracted.source.pages == 2 and extracted.source.pages_without_text == 1


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (20, 20), 255).save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------- .doc / .wps

DOC_PIECES = [
    ("Ref 2026-07\r", True),  # an 8-bit ("compressed") piece
    ("机密★10年\r关于调整考试安排的通知\r", False),
    ("\x13 HYPERLINK \"http://example\" \x14附件清单\x15见附件。\x01\r", False),
    ("科目\x07时间\x07\x07语文\x079:00\x07\x07正文结束\x0b第二行\r", False),
    ("页脚和脚注不属于正文\r", False),  # beyond ccpText
]
DOC_TEXT = "Ref 2026-07\n机密★10年\n关于调整考试安排的通知\n附件清单见附件。\n科目\t时间\n语文\t9:00\n正文结束\n第二行"


@pytest.mark.parametrize("suffix", [".doc", ".wps", ".DOC"])
def test_word97_pieces_fields_tables(tmp_path: Path, suffix: str) -> None:
    main = sum(len(t) for t, _ in DOC_PIECES[:-1])
    path = tmp_path / f"通知{suffix}"
    path.write_bytes(word97_bytes(DOC_PIECES, main_chars=main))
    extracted = extract_path(path)
    assert extracted.text == DOC_TEXT
    assert extracted.source.format == suffix.lower()[1:]
    assert parse_header(extracted.text).marking == "机密★10年"


def test_word97_is_a_valid_compound_file() -> None:
    """The fixture writer's output passes olefile's strictest checks (so the reader is tested on real structure)."""
    data = word97_bytes(DOC_PIECES)
    with olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_POTENTIAL) as ole:
        assert sorted("/".join(e) for e in ole.listdir()) == ["\x05SummaryInformation", "1Table", "WordDocument"]


def test_word97_table_stream_0table_and_no_prc() -> None:
    data = word97_bytes([("保密期限二十年\r", False)], table="0Table", prc=False)
    assert read_bytes(data, "a.doc") == "保密期限二十年"


def test_docx_saved_as_doc_is_read_as_docx() -> None:
    from docx import Document

    document = Document()
    document.add_paragraph("其实是docx格式的正文")
    buffer = io.BytesIO()
    document.save(buffer)
    extracted = extract_bytes(buffer.getvalue(), "旧名.doc")
    assert extracted.text == "其实是docx格式的正文" and extracted.source.format == "docx"


def test_word97_encrypted() -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(word97_bytes(DOC_PIECES, encrypted=True), "加密.doc")
    assert _code(excinfo) == "DM124" and "加密" in excinfo.value.message
    ooxml_encrypted = ole_bytes({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(60), "EncryptedPackage": bytes(100)})
    with pytest.raises(ReadError) as excinfo:
        read_bytes(ooxml_encrypted, "加密.wps")
    assert _code(excinfo) == "DM124"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), ""),
        (word97_bytes(DOC_PIECES)[:1500], ""),
        (b"WPS 2000 proprietary bytes" + bytes(300), "WPS 2000"),
        (b"{\\rtf1\\ansi hello}", "RTF"),
        (ole_bytes({"Workbook": b"xls"}), "WordDocument"),
        (word97_bytes(DOC_PIECES, nfib=0x68), "Word 6.0/95"),
        (word97_bytes([("正文\r", False)], main_chars=10_000), ""),
    ],
    ids=["ole-garbage", "truncated", "old-wps", "rtf", "excel", "word95", "ccp-beyond-pieces"],
)
def test_word97_broken_or_unsupported(data: bytes, words: str) -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(data, "坏.doc")
    assert _code(excinfo) == "DM123"
    assert words in excinfo.value.message


def test_word97_piece_table_pointing_outside_the_stream() -> None:
    data = bytearray(word97_bytes([("正文内容\r", False)]))
    ole = olefile.OleFileIO(io.BytesIO(bytes(data)))
    table = ole.openstream("1Table").read()
    fc_pos = table.index(b"\x02") + 5 + 8 + 2  # clxt, lcb, two CPs, Pcd flags
    patched = table[:fc_pos] + (10_000_000).to_bytes(4, "little") + table[fc_pos + 4 :]
    ole.close()
    word = olefile.OleFileIO(io.BytesIO(bytes(data))).openstream("WordDocument").read()
    with pytest.raises(ReadError) as excinfo:
        read_bytes(ole_bytes({"WordDocument": word, "1Table": patched}), "a.doc")
    assert _code(excinfo) == "DM123"


# ---------------------------------------------------------------- images without OCR


@pytest.mark.parametrize("name", ["scan.png", "scan.JPG", "scan.tif"])
def test_image_without_ocr_needs_ocr(name: str) -> None:
    with pytest.raises(ReadError) as excinfo:
        read_bytes(_tiny_png(), name)
    assert _code(excinfo) == "DM125" and "需要OCR" in excinfo.value.message


# ---------------------------------------------------------------- text_source on a suggestion


def test_annotate_adds_text_source_and_ocr_flags() -> None:
    from dingmi.readers.source import Extracted, TextSource

    plain = annotate({"flags": []}, Extracted("正文", TextSource("doc")))
    assert plain["flags"] == [] and plain["text_source"]["format"] == "doc" and plain["text_source"]["chars"] == 2
    assert plain["text_source"]["ocr"] is False and plain["text_source"]["ocr_confidence"] is None
    sure = annotate({"flags": []}, Extracted("正文", TextSource("image", 1, 1, 0.97)))
    assert sure["flags"] == ["ocr"] and sure["text_source"]["ocr_confidence"] == 0.97
    unsure = annotate({"flags": ["needs_review"]}, Extracted("正文", TextSource("pdf", 2, 1, 0.62)))
    assert unsure["flags"] == ["needs_review", "ocr"]
    low = annotate({"flags": []}, Extracted("正文", TextSource("pdf", 2, 1, 0.62)))
    assert low["flags"] == ["ocr", "needs_review"]


def test_ocr_flag_has_chinese_text() -> None:
    from dingmi.explain import FLAG_TEXT

    assert "OCR" in FLAG_TEXT["ocr"]


# ---------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=700), st.sampled_from(["x.ofd", "x.doc", "x.wps", "x.png", "x.tiff"]))
def test_any_bytes_give_text_or_read_error(data: bytes, name: str) -> None:
    try:
        result = read_bytes(data, name)
    except ReadError as exc:
        assert exc.code.startswith(("DM11", "DM12"))
    else:
        assert isinstance(result, str)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(0, 10_000))
def test_corrupted_doc_bytes_give_text_or_read_error(noise: bytes, at: int) -> None:
    data = bytearray(word97_bytes(DOC_PIECES))
    pos = at % len(data)
    data[pos : pos + len(noise)] = noise
    try:
        read_bytes(bytes(data), "x.doc")
    except ReadError as exc:
        assert exc.code in ("DM112", "DM123", "DM124")


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(0, 10_000))
def test_corrupted_ofd_bytes_give_text_or_read_error(noise: bytes, at: int) -> None:
    data = bytearray(ofd_bytes([OfdPage(["第一页"]), OfdPage(["第二页"])], ))
    pos = at % len(data)
    data[pos : pos + len(noise)] = noise
    try:
        read_bytes(bytes(data), "x.ofd")
    except ReadError as exc:
        assert exc.code in ("DM112", "DM122")


def test_ocr_asked_for_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from dingmi import ocr

    monkeypatch.setattr(ocr, "available", lambda: False)
    for data, name in ((_tiny_png(), "a.png"), (ofd_bytes([OfdPage([], images=[_tiny_png()])]), "a.ofd")):
        with pytest.raises(ReadError) as excinfo:
            read_bytes(data, name, ocr=True)
        assert _code(excinfo) == "DM126" and "ocr" in excinfo.value.message
