"""OFD (GB/T 33190-2016): the text of every page in reading order, read from the package's XML.

An OFD file is a zip of XML parts: ``OFD.xml`` names each document's ``Document.xml``, which
lists the pages (``Page/@BaseLoc``) and template pages; a page's ``Content.xml`` holds layers of
``TextObject`` elements (``Boundary`` plus ``TextCode`` with ``X``/``Y`` offsets) and
``ImageObject`` elements referring to image resources. Text codes of a page and of its templates
are placed by their baseline and put into lines: top to bottom, left to right.

The package passes the same zip checks as .docx first; every reference is resolved inside the
package (``..`` above the root is refused) and XML with a DOCTYPE is refused (no entities).
Pages without text but with images are scans: recognised by OCR when it is on. Not read: text
drawn as paths, glyph-index text (``CGTransform``), annotations, attachments, signatures.
Errors: DM122 broken OFD, DM125 scan without OCR.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from dingmi import ocr
from dingmi.errors import ReadError
from dingmi.readers.image import broken_image, needs_ocr, recognize_all
from dingmi.readers.layout import join_wrapped
from dingmi.readers.source import Extracted, TextSource
from dingmi.readers.zipsafe import open_checked, resolve

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["MAX_PAGES", "read_ofd"]

MAX_PAGES = 5000
_DEFAULT_SIZE = 3.5  # mm: a text object without a Size attribute
_NUMBERS_RE = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|-?\.\d+")


def _broken(detail: str = "") -> ReadError:
    return ReadError(f"OFD文件已损坏或不是有效的OFD文件{detail}", code="DM122")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _numbers(value: str | None) -> list[float]:
    return [float(n) for n in _NUMBERS_RE.findall(value or "")]


@dataclass(frozen=True)
class _Run:
    """One TextCode placed on the page: baseline y, left x, estimated width, text, font size."""

    y: float
    x: float
    width: float
    text: str
    size: float


class _Package:
    """Parts of an OFD zip, read on demand within the checks."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = {info.filename.replace("\\", "/").lstrip("/"): info for info in archive.infolist()}

    def raw(self, path: str) -> bytes:
        info = self.names.get(path)
        if info is None:
            raise _broken(f"（缺少{path}）")
        return self.archive.read(info)

    def xml(self, path: str) -> ElementTree.Element:
        data = self.raw(path)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data or b"\x00" in data:  # OFD XML is UTF-8
            raise _broken(f"（{path}含有DOCTYPE声明或不是UTF-8编码，已拒绝）")
        try:
            return ElementTree.fromstring(data)
        except ElementTree.ParseError:
            raise _broken(f"（{path}不是有效的XML）") from None


def _ref(base: str, loc: str | None) -> str:
    path = resolve(base, loc or "")
    if path is None:
        raise _broken(f"（引用路径“{(loc or '')[:80]}”无效或超出文件包）")
    return path


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def read_ofd(data: bytes, *, use_ocr: bool = False) -> Extracted:
    """Text of all pages of all documents, joined by ``\\n``; scanned pages need OCR."""
    archive = open_checked(data, _broken)
    try:
        package = _Package(archive)
        pages = _pages(package)
        texts: list[str] = []
        scans: list[tuple[int, list[str], str]] = []
        for i, (page_path, templates, media) in enumerate(pages):
            page = package.xml(page_path)
            used = [templates[t.get("TemplateID", "")] for t in _children(page, "Template")
                    if t.get("TemplateID", "") in templates]
            runs: list[_Run] = []
            images: list[str] = []
            for part in [*(package.xml(path) for path in used), page]:
                part_runs, part_images = _read_content(part)
                runs.extend(part_runs)
                images.extend(part_images)
            texts.append(_lines(runs))
            if not texts[-1].strip() and images:
                scans.append((i, images, media))
        tally = ocr.Tally()
        if scans and use_ocr:
            _recognize(package, scans, texts, tally)
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - zip and XML libraries raise many types for broken files
        raise _broken() from None
    finally:
        archive.close()
    text = "\n".join(texts)
    if not text.strip():
        if scans and not use_ocr:
            raise needs_ocr("OFD文件没有文字（可能是扫描件），")
        raise ReadError("OFD文件中没有文字内容", code="DM112")
    empty = sum(1 for t in texts if not t.strip())
    return Extracted(text, TextSource("ofd", len(texts), tally.pages, tally.confidence, empty))


def _pages(package: _Package) -> list[tuple[str, dict[str, str], str]]:
    """(content path, template id → content path, resource file paths joined by \\n) of every page, in order."""
    root = package.xml("OFD.xml")
    pages: list[tuple[str, dict[str, str], str]] = []
    bodies = _children(root, "DocBody")
    if not bodies:
        raise _broken("（OFD.xml中没有DocBody）")
    for body in bodies:
        doc_root = _child(body, "DocRoot")
        if doc_root is None:
            raise _broken("（缺少DocRoot）")
        doc_path = _ref("", doc_root.text)
        document = package.xml(doc_path)
        base = _folder(doc_path)
        common = _child(document, "CommonData")
        templates: dict[str, str] = {}
        media = ""
        if common is not None:
            for tpl in _children(common, "TemplatePage"):
                templates[tpl.get("ID", "")] = _ref(base, tpl.get("BaseLoc"))
            media = "\n".join(_ref(base, r.text) for name in ("PublicRes", "DocumentRes")
                              for r in _children(common, name))
        page_list = _child(document, "Pages")
        for page in _children(page_list, "Page") if page_list is not None else []:
            pages.append((_ref(base, page.get("BaseLoc")), templates, media))
            if len(pages) > MAX_PAGES:
                raise _broken(f"（页数超过上限{MAX_PAGES}页）")
    return pages


def _read_content(page: ElementTree.Element) -> tuple[list[_Run], list[str]]:
    """Text runs and image resource ids of one page or template (layers and nested page blocks)."""
    runs: list[_Run] = []
    images: list[str] = []
    for element in page.iter():
        name = _local(element.tag)
        if name == "ImageObject":
            images.append(element.get("ResourceID", ""))
        elif name == "TextObject":
            box = _numbers(element.get("Boundary"))
            x0, y0 = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
            size = (_numbers(element.get("Size")) or [_DEFAULT_SIZE])[0] or _DEFAULT_SIZE
            for code in _children(element, "TextCode"):
                text = "".join(code.itertext())
                if not text.strip():
                    continue
                runs.append(_Run(y0 + float(code.get("Y", 0) or 0), x0 + float(code.get("X", 0) or 0),
                                 _width(code.get("DeltaX"), text, size), text, size))
    return runs, images


def _width(delta_x: str | None, text: str, size: float) -> float:
    """Advance of a run: its DeltaX offsets (with ``g count value`` repeats) plus one em for the last glyph."""
    tokens = (delta_x or "").split()
    total = 0.0
    i = 0
    steps = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            count, value = int(float(tokens[i + 1])), float(tokens[i + 2])
            total += count * value
            steps += count
            i += 3
        else:
            total += float(tokens[i])
            steps += 1
            i += 1
    if not steps:
        return len(text) * size
    return total + size


def _lines(runs: list[_Run]) -> str:
    """Runs into lines (a run joins a line when its baseline is within half its size of the line's),
    then lines into paragraphs (:func:`dingmi.readers.layout.join_wrapped`)."""
    lines: list[list[_Run]] = []
    for run in sorted(runs, key=lambda r: (r.y, r.x)):
        if lines and abs(run.y - lines[-1][0].y) <= run.size / 2:
            lines[-1].append(run)
        else:
            lines.append([run])
    rows: list[tuple[str, float, float, float]] = []
    for line in lines:
        parts: list[str] = []
        end = None
        line.sort(key=lambda r: r.x)
        for run in line:
            if end is not None and run.x - end > 1.5 * run.size:
                parts.append(" ")  # a visible gap (e.g. between 份号 and 密级 on one line)
            parts.append(run.text)
            end = run.x + run.width
        rows.append(("".join(parts), line[0].x, end or 0.0, max(r.size for r in line)))
    return join_wrapped(rows)


def _media_files(package: _Package, resource_paths: str) -> dict[str, str]:
    """MultiMedia ID → image path, from the document's resource files."""
    files: dict[str, str] = {}
    for res_path in filter(None, resource_paths.split("\n")):
        res = package.xml(res_path)
        base = _ref(_folder(res_path), res.get("BaseLoc")) if res.get("BaseLoc") else _folder(res_path)
        for element in res.iter():
            if _local(element.tag) == "MultiMedia":
                media = _child(element, "MediaFile")
                if media is not None and media.text:
                    files[element.get("ID", "")] = _ref(base, media.text)
    return files


def _recognize(package: _Package, scans: list[tuple[int, list[str], str]], texts: list[str],
               tally: ocr.Tally) -> None:
    """OCR the images of pages that have no text."""
    if not ocr.available():
        raise ocr.missing_error()
    ocr.check_pages(len(scans))
    files_by_res: dict[str, dict[str, str]] = {}
    for index, ids, resources in scans:
        files = files_by_res.setdefault(resources, _media_files(package, resources))
        images = [_decode(package.raw(files[i])) for i in ids if i in files]
        texts[index] = recognize_all(images, tally)


def _decode(data: bytes) -> Image:
    from PIL import Image as PILImage

    try:
        image = PILImage.open(io.BytesIO(data))
        ocr.check_pixels(*image.size)
        image.load()
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - Pillow raises many types for garbage input
        raise broken_image("（OFD中的页面图像）") from None
    return image
