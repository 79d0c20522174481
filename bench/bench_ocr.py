"""OCR character accuracy and pages per second on pages rendered from known text.

    python bench/bench_ocr.py [--pages N]

Pages: the bundled sample notice and the dev set's first documents, laid out as a page would be
(title centred, paragraphs indented and wrapped at 34 characters, WenQuanYi Zen Hei 30 px on A4 at
150 dpi); variants: clean PNG, JPEG quality 60, speckle noise, 200 dpi. Accuracy is
1 - edit distance / length, whitespace ignored. Needs the ocr extra and fonts-wqy-zenhei.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from format_writers import page_image, png_bytes, wrap  # noqa: E402
from test_formats_ocr import accuracy  # noqa: E402

from dingmi.reader import extract_bytes  # noqa: E402


def _documents(count: int) -> list[list[str]]:
    sample = (ROOT / "corpus/samples/sample_notice.txt").read_text(encoding="utf-8")
    docs = [[p for p in sample.splitlines() if p.strip()]]
    dev = ROOT / "corpus/eval/dev.jsonl"  # the in-repository copy of the shared development set
    for line in dev.read_text(encoding="utf-8").splitlines():
        if len(docs) >= count:
            break
        paragraphs = [p for p in json.loads(line)["text"].splitlines() if p.strip()]
        if len(wrap(paragraphs, 34)) <= 27:  # fits one page
            docs.append(paragraphs)
    return docs[:count]


def _variants(lines: list[str]) -> dict[str, tuple[bytes, str]]:
    clean = page_image(lines, size=30)
    jpeg = io.BytesIO()
    clean.convert("RGB").save(jpeg, format="JPEG", quality=60)
    hi = page_image(lines, size=40, width=1654, height=2339)
    return {
        "150 dpi PNG": (png_bytes(clean), "p.png"),
        "150 dpi JPEG q60": (jpeg.getvalue(), "p.jpg"),
        "150 dpi + 2% speckle noise": (png_bytes(page_image(lines, size=30, noise=40_000)), "p.png"),
        "200 dpi PNG": (png_bytes(hi), "p.png"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=6)
    args = parser.parse_args()
    docs = _documents(args.pages)
    extract_bytes(png_bytes(page_image(["预热"])), "w.png", ocr=True)  # load the models once
    results: dict[str, list[tuple[float, float, float]]] = {}
    for paragraphs in docs:
        truth = "\n".join(paragraphs)
        for name, (data, filename) in _variants(wrap(paragraphs, 34)).items():
            start = time.perf_counter()
            extracted = extract_bytes(data, filename, ocr=True)
            elapsed = time.perf_counter() - start
            results.setdefault(name, []).append(
                (accuracy(extracted.text, truth), elapsed, extracted.source.ocr_confidence or 0.0))
    print(f"{len(docs)} pages per variant")
    print("| variant | character accuracy | mean confidence | pages/s |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        acc = sum(r[0] for r in rows) / len(rows)
        conf = sum(r[2] for r in rows) / len(rows)
        pps = len(rows) / sum(r[1] for r in rows)
        print(f"| {name} | {acc:.3f} (min {min(r[0] for r in rows):.3f}) | {conf:.3f} | {pps:.2f} |")


if __name__ == "__main__":
    main()
