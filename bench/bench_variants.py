"""Variants of a text that must not change its reading, measured on training documents (never the dev sets).

For a random sample of ``corpus/labeled/`` documents, each variant below is suggested beside the document
as written, and the table gives how many keep the level (for the pasted-together variants, of the state
secrets: how many keep at least their level). The README quotes this table.

    python bench/bench_variants.py [--sample 200] [--seed 2] [--no-bundle]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from dingmi.engine import Engine, load_engine
from dingmi.levels import rank

ROOT = Path(__file__).resolve().parents[1]
_SECTION = re.compile(r"^([一二三四五六七八九十]+、[^。\n]{1,20})", re.MULTILINE)

# the same text, laid out or encoded differently: the level must be the same
SAME: dict[str, Callable[[str], str]] = {
    "\\r\\n line endings": lambda t: t.replace("\n", "\r\n"),
    "\\r line endings": lambda t: t.replace("\n", "\r"),
    "NBSP for spaces": lambda t: t.replace(" ", "\u00a0").replace("\u3000", "\u00a0"),
    "no indentation": lambda t: "\n".join(line.strip() for line in t.split("\n")),
    "line breaks doubled": lambda t: t.replace("\n", "\n\n"),
    "BOM": lambda t: "\ufeff" + t,
    "U+200F after every third character": lambda t: "".join(c + "\u200f" if i % 3 == 0 else c for i, c in enumerate(t)),
    "spaces at the end of lines": lambda t: "\n".join(line + "   " for line in t.split("\n")),
    "full-width digits": lambda t: t.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
    "half-width punctuation": lambda t: t.translate(str.maketrans("，。：；（）", ",.:;()")),
    "Markdown headings": lambda t: _SECTION.sub(r"## \1", t),
    "Markdown bold": lambda t: _SECTION.sub(r"**\1**", t),
    "every line letter-spaced": lambda t: "\n".join(" ".join(line) for line in t.split("\n")),
    "pasted twice": lambda t: t + "\n\n" + t,
}


def _rows() -> list[dict]:
    rows = []
    for f in sorted((ROOT / "corpus" / "labeled").glob("*.jsonl")):
        rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def measure(engine: Engine, sample: int, seed: int) -> list[tuple[str, int, int]]:
    """(variant, documents that keep their level, documents) for every variant."""
    rows = _rows()
    public = [r["text"] for r in rows if r["expected_level"] == "非密" and r.get("kind") != "meta_negative"]
    docs = random.Random(seed).sample(rows, min(sample, len(rows)))

    def level(text: str) -> str:
        return engine.suggest(text, lowering=False).level

    out = []
    base = [level(r["text"]) for r in docs]
    for name, variant in SAME.items():
        out.append((name, sum(level(variant(r["text"])) == b for r, b in zip(docs, base)), len(docs)))
    secret = [(i, r, b) for i, (r, b) in enumerate(zip(docs, base)) if rank(b) >= rank("秘密")]
    pasted: dict[str, Callable[[int, str], str]] = {
        "two public documents after it": lambda i, t: t + "\n\n" + public[i % len(public)] + "\n\n" + public[(i + 1) % len(public)],
        "two public documents before it": lambda i, t: public[i % len(public)] + "\n\n" + public[(i + 1) % len(public)] + "\n\n" + t,
        "twenty public documents after it": lambda i, t: t + "\n\n" + "\n\n".join(public[(i + j) % len(public)] for j in range(20)),
    }
    for name, paste in pasted.items():
        out.append((name, sum(rank(level(paste(i, r["text"]))) >= rank(b) for i, r, b in secret), len(secret)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--no-bundle", action="store_true", help="the rules alone")
    args = ap.parse_args()
    if args.no_bundle:
        engine = load_engine()
    else:
        from dingmi.bundle import default_bundle_dir, ensure_default_bundle

        bundle = default_bundle_dir()
        engine = load_engine(bundle=bundle if ensure_default_bundle(bundle) else None)
    print(f"| variant ({'rules' if args.no_bundle else 'bundle'}; {args.sample} training documents, seed {args.seed}) | keep their level |")
    print("|---|---|")
    for name, kept, n in measure(engine, args.sample, args.seed):
        print(f"| {name} | {kept} of {n} |")


if __name__ == "__main__":
    main()
