"""The benchmark's generated catalog (bench/gen_catalog.py): valid for the project's loader, unique ids,
many distinct terms, the same for the same seed."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from dingmi.catalog import Catalog, CatalogEntry, load_default, read_catalog_file
from dingmi.engine import load_engine
from dingmi.profiles import build_profiles

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_catalog", BENCH / "gen_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_catalog", module)
    spec.loader.exec_module(module)
    return module


def test_entries_load_with_the_catalog_loader_beside_the_reference(gen: ModuleType, tmp_path: Path) -> None:
    entries = gen.generate_catalog(700, seed=3)
    path = gen.write_catalog(tmp_path / "org.jsonl", entries)
    loaded, source = read_catalog_file(path)
    assert source.entries == 700
    assert len({e.id for e in loaded}) == 700
    catalog = load_default([path])  # ids unique across catalogs too (the reference's 92 first)
    assert len(catalog) == 92 + 700
    assert {e.level for e in loaded} == {"绝密", "机密", "秘密", "内部"}
    assert all(not e.period for e in loaded if e.level == "内部")
    engine = load_engine([path])  # as `dingmi suggest --catalog` loads it
    assert len(engine.matcher.profiles) == 792


def test_not_copies_of_a_few_strings(gen: ModuleType) -> None:
    entries = gen.generate_catalog(1000, seed=5)
    texts = [str(e["text"]).rstrip(";；。") for e in entries]
    assert len(set(texts)) == len(texts)
    assert len({e["regulation"] for e in entries}) >= 40
    assert len({e["domain"] for e in entries}) >= 30
    # terms as the engine weighs them (its segmenter and stopwords)
    profiles = build_profiles(Catalog([CatalogEntry(**e) for e in entries]), lexicon={}, expert={})
    terms = Counter(t.key for p in profiles for t in p.terms)
    assert len(terms) >= 500  # distinct terms for 1,000 entries
    assert terms.most_common(1)[0][1] < 0.2 * len(entries)  # no term in a fifth of the entries


def test_deterministic(gen: ModuleType) -> None:
    assert gen.generate_catalog(300, seed=11) == gen.generate_catalog(300, seed=11)
    assert gen.generate_catalog(300, seed=11) != gen.generate_catalog(300, seed=12)
    ids = [e["id"] for e in gen.generate_catalog(300, seed=11)]
    assert len(set(ids)) == 300
