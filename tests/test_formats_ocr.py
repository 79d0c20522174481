"""Offline OCR on pages rendered from known text (WenQuanYi Zen Hei): images, scanned PDF and OFD pages.

Skipped only when the ``ocr`` extra is not installed (CI installs it). Character accuracy is
1 - edit distance / length, whitespace ignored, on official-document text.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("rapidocr_onnxruntime", reason="the ocr extra is not installed (pip install -e '.[ocr]')")

from format_writers import CJK_FONT, OfdPage, ofd_bytes, page_image, png_bytes, wrap  # noqa: E402

from dingmi import ocr  # noqa: E402
from dingmi.errors import ReadError  # noqa: E402
from dingmi.header import parse_header  # noqa: E402
from dingmi.reader import extract_bytes, extract_path  # noqa: E402

if not CJK_FONT.exists():  # pragma: no cover - .ci/run installs fonts-wqy-zenhei
    pytest.fail(f"{CJK_FONT} is missing: apt-get install fonts-wqy-zenhei", pytrace=False)

PAGE_1 = [
    "000186",
    "机密★20年",
    "×省教育考试院文件",
    "关于做好2026年普通高校招生考试试卷保密工作的通知",
    "各市、县（区）招生考试机构：",
    "\u3000\u3000试题、参考答案和评分标准在启用前属于机密级国家秘密，",
    "请严格执行交接登记制度，确保试卷运送和保管安全。",
]
TITLE = frozenset({2, 3})
PAGE_2 = [
    "\u3000\u3000一、试卷保管室须安装防盗门窗和视频监控设备。",
    "\u3000\u3000二、启封前发现异常情况，应当立即报告并保护现场。",
    "×省教育考试院",
    "2026年4月8日",
]
MIN_ACCURACY = 0.95


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def accuracy(recognised: str, truth: str) -> float:
    """Character accuracy, whitespace ignored."""
    got, want = "".join(recognised.split()), "".join(truth.split())
    return 1 - _distance(got, want) / len(want)


def test_png_page_text_accuracy_and_source(tmp_path: Path) -> None:
    path = tmp_path / "扫描件.png"
    path.write_bytes(png_bytes(page_image(PAGE_1, centered=TITLE)))
    extracted = extract_path(path, ocr=True)
    assert accuracy(extracted.text, "\n".join(PAGE_1)) >= MIN_ACCURACY
    source = extracted.source
    assert source.format == "image" and source.ocr and source.pages == source.ocr_pages == 1
    assert source.ocr_confidence is not None and source.ocr_confidence > 0.9
    header = parse_header(extracted.text)
    assert header.marking == "机密★20年"  # the marking line is its own line after OCR
    assert header.copy_number == "000186"


def test_multi_page_tiff_and_jpeg() -> None:
    frames = [page_image(PAGE_1, centered=TITLE), page_image(PAGE_2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    extracted = extract_bytes(buffer.getvalue(), "卷宗.tif", ocr=True)
    assert extracted.source.pages == 2 and extracted.source.ocr_pages == 2
    assert accuracy(extracted.text, "\n".join(PAGE_1 + PAGE_2)) >= MIN_ACCURACY
    jpeg = io.BytesIO()
    frames[1].convert("RGB").save(jpeg, format="JPEG", quality=70)
    assert accuracy(extract_bytes(jpeg.getvalue(), "p2.JPG", ocr=True).text, "\n".join(PAGE_2)) >= MIN_ACCURACY


def _scanned_pdf(pages: list[list[str] | str]) -> bytes:
    """A PDF whose list pages are images of text (scans) and whose str pages have a text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in pages:
        if isinstance(page, str):
            pdf.setFont("STSong-Light", 14)
            pdf.drawString(72, 760, page)
        else:
            pdf.drawImage(ImageReader(page_image(page)), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_image_only_pdf_with_a_text_page() -> None:
    data = _scanned_pdf([PAGE_1, "第二页有文字层：本页无需识别。", PAGE_2])
    with pytest.raises(ReadError) as excinfo:
        extract_bytes(_scanned_pdf([PAGE_1]), "扫描.pdf")  # OCR off: as before, needs OCR
    assert excinfo.value.code == "DM116" and "OCR" in excinfo.value.message
    extracted = extract_bytes(data, "扫描.pdf", ocr=True)
    assert extracted.source.pages == 3 and extracted.source.ocr_pages == 2
    first, second, third = extracted.text.split("\n第二页有文字层")[0], "第二页有文字层：本页无需识别。", PAGE_2
    assert accuracy(first, "\n".join(PAGE_1)) >= MIN_ACCURACY
    assert second in extracted.text
    assert accuracy(extracted.text.split("本页无需识别。\n")[1], "\n".join(third)) >= MIN_ACCURACY


def test_scanned_ofd_page() -> None:
    data = ofd_bytes([OfdPage(["第一页有文字：通知正文。"]), OfdPage([], images=[png_bytes(page_image(PAGE_2))])])
    extracted = extract_bytes(data, "扫描.ofd", ocr=True)
    assert extracted.source.pages == 2 and extracted.source.ocr_pages == 1
    lines = extracted.text.split("\n", 1)
    assert lines[0] == "第一页有文字：通知正文。"
    assert accuracy(lines[1], "\n".join(PAGE_2)) >= MIN_ACCURACY


def test_blank_image_gives_no_text() -> None:
    from PIL import Image

    with pytest.raises(ReadError) as excinfo:
        extract_bytes(png_bytes(Image.new("L", (600, 800), 255)), "blank.png", ocr=True)
    assert excinfo.value.code == "DM112"


def test_pixel_bomb_is_refused_before_decoding() -> None:
    from PIL import Image

    huge = io.BytesIO()
    Image.new("1", (12_000, 9_000), 1).save(huge, format="PNG")  # 108 MP, a few KB compressed
    assert len(huge.getvalue()) < 200_000
    with pytest.raises(ReadError) as excinfo:
        extract_bytes(huge.getvalue(), "bomb.png", ocr=True)
    assert excinfo.value.code == "DM127"


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + bytes(50), b"GIF89a-not-really", b"II*\x00" + bytes(40)])
def test_broken_images(data: bytes) -> None:
    with pytest.raises(ReadError) as excinfo:
        extract_bytes(data, "bad.png", ocr=True)
    assert excinfo.value.code == "DM127"


def test_too_many_pages_to_recognise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "MAX_PAGES", 1)
    with pytest.raises(ReadError) as excinfo:
        extract_bytes(_scanned_pdf([PAGE_1, PAGE_2]), "a.pdf", ocr=True)
    assert excinfo.value.code == "DM128"


def _sample_page() -> tuple[object, str]:
    """The bundled sample notice laid out on a page (title centred, paragraphs indented and wrapped)."""
    sample = Path(__file__).parent.parent / "corpus" / "samples" / "sample_notice.txt"
    paragraphs = [p for p in sample.read_text(encoding="utf-8").splitlines() if p.strip()]
    lines = wrap(paragraphs, 34)
    title = next(i for i, line in enumerate(lines) if line.startswith("关于"))
    return page_image(lines, size=30, centered=frozenset({0, 1, title})), "\n".join(paragraphs)


def test_cli_suggest_ocr_flags_and_offsets(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from dingmi.cli import app

    image, truth = _sample_page()
    path = tmp_path / "scan.png"
    path.write_bytes(png_bytes(image))
    refused = CliRunner().invoke(app, ["suggest", str(path), "--json", "--no-model"])
    assert refused.exit_code == 2 and "DM125" in refused.output
    result = CliRunner().invoke(app, ["suggest", str(path), "--json", "--no-model", "--ocr"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert "ocr" in d["flags"] and d["text_source"]["ocr"] is True
    assert d["text_source"]["ocr_confidence"] > 0.9 and d["text_source"]["offsets"] == "extracted_text"
    text = extract_bytes(path.read_bytes(), path.name, ocr=True).text
    assert accuracy(text, truth) >= MIN_ACCURACY
    assert d["text_source"]["chars"] == len(text)
    direct = json.loads(CliRunner().invoke(app, ["suggest", "-", "--json", "--no-model"], input=truth).stdout)
    assert d["level"] == direct["level"] == "机密"  # the scan gets the typed text's level
    assert d["evidence"]
    for ev in d["evidence"]:
        assert text[ev["start"] : ev["end"]] == ev["text"]  # offsets index the recognised text


def test_throughput_is_measured() -> None:
    """Pages per second on this machine (printed for the README; the bound only catches a hang)."""
    image = page_image(PAGE_1 + PAGE_2)
    ocr.recognize(image)  # load the models
    start = time.perf_counter()
    ocr.recognize(image)
    elapsed = time.perf_counter() - start
    print(f"OCR: {1 / elapsed:.2f} pages/s (A4, 150 dpi, 11 lines)")
    assert elapsed < 60


def test_pdf_page_image_that_cannot_be_decoded() -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(io.BytesIO(_scanned_pdf([PAGE_2])))
    writer = PdfWriter(clone_from=reader)
    for obj in writer.pages[0]["/Resources"]["/XObject"].values():
        image = obj.get_object()
        image[NameObject("/Filter")] = NameObject("/JBIG2Decode")  # a codec pypdf cannot decode here
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ReadError) as excinfo:
        extract_bytes(buffer.getvalue(), "jbig2.pdf", ocr=True)
    assert excinfo.value.code == "DM127"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["x.png", "x.jpg", "x.tif", "x.bmp"]))
def test_any_image_bytes_give_text_or_read_error(data: bytes, name: str) -> None:
    try:
        extract_bytes(data, name, ocr=True)
    except ReadError as exc:
        assert exc.code in ("DM112", "DM127")


def test_blurred_scan_has_low_confidence_and_asks_for_review() -> None:
    from PIL import ImageFilter

    from dingmi.reader import annotate

    sharp = extract_bytes(png_bytes(page_image(PAGE_1, size=18)), "sharp.png", ocr=True)
    blurred_image = page_image(PAGE_1, size=18).filter(ImageFilter.GaussianBlur(2.6))  # type: ignore[attr-defined]
    blurred = extract_bytes(png_bytes(blurred_image), "blurred.png", ocr=True)
    truth = "\n".join(PAGE_1)
    assert accuracy(blurred.text, truth) < accuracy(sharp.text, truth)
    assert (blurred.source.ocr_confidence or 0) < 0.9 <= (sharp.source.ocr_confidence or 0)
    assert annotate({"flags": []}, blurred)["flags"] == ["ocr", "needs_review"]
    assert annotate({"flags": []}, sharp)["flags"] == ["ocr"]
