"""A bundle's numbers cached in the data directory give the very same figures as scikit-learn and spaCy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from documents import EXAM_BEFORE, EXAM_PUBLISHED

from dingmi.bundle import load_bundle
from dingmi.cache import cache_dir
from dingmi.engine import Engine, load_engine
from dingmi.errors import BundleError
from dingmi.fastmodel import Calibrator, PairModel
from dingmi.learned import EVIDENCE_FEATURES, PAIR_FEATURES, LearnedScorer, evidence_rows
from dingmi.textcat import BowTextcat
from dingmi_training.data import load_examples

# edge cases for the tokenizer and spaCy's reserved strings (symbols keep their own ids)
ODD_TEXTS = ["", " ", "\n\n", "X NUM abc  def\n", "ORTH LOWER 中文 PERSON", "  前后有空格  ", "a" * 40]


@pytest.fixture()
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DINGMI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "cache"


@pytest.fixture(scope="module")
def reference(tiny_bundle: Path) -> tuple[dict, object]:
    """The bundle loaded the slow way: joblib's scikit-learn objects and the spaCy pipeline."""
    import joblib
    import spacy

    import dingmi.spacy_jieba  # noqa: F401

    return joblib.load(tiny_bundle / "pair_model.joblib"), spacy.load(tiny_bundle / "nlp")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [r["text"] for r in load_examples()[::3]] + [EXAM_BEFORE, EXAM_PUBLISHED]


def test_first_load_caches_numbers_and_later_loads_use_them(tiny_bundle: Path, fresh_cache: Path) -> None:
    first, _ = load_bundle(tiny_bundle)
    names = sorted(p.suffix for p in fresh_cache.glob("bundle-*"))
    assert names == [".json", ".npz"]
    second, _ = load_bundle(tiny_bundle)
    assert isinstance(second.pair_model, PairModel) and isinstance(second.calibrator, Calibrator)
    assert isinstance(second.nlp, BowTextcat)
    assert isinstance(second.evidence_model, PairModel)
    assert (second.known_entries, second.learned_terms, second.veto_below, second.add_from, second.evidence_from) == \
        (first.known_entries, first.learned_terms, first.veto_below, first.add_from, first.evidence_from)


def test_cached_numbers_equal_scikit_learn_to_the_last_bit(tiny_bundle: Path, fresh_cache: Path, reference: tuple,
                                                           texts: list[str]) -> None:
    load_bundle(tiny_bundle)
    fast, _ = load_bundle(tiny_bundle)
    parts, _ = reference
    rules = load_engine()
    rows = [np.asarray(LearnedScorer(None, None, None, {}).rows(a.matches, a.ctx), dtype=np.float64)
            for a in (rules.analyse(t) for t in texts) if a.matches]
    rng = np.random.default_rng(5)
    rows += [rng.normal(0, 3, (n, len(PAIR_FEATURES))) for n in (1, 2, 9, 200)]
    for X in rows:
        assert np.array_equal(fast.pair_model.predict_proba(X), parts["pair_model"].predict_proba(X))
    evidence = [np.asarray(evidence_rows(a.ctx, m)[1], dtype=np.float64)
                for a in (rules.analyse(t) for t in texts) for m in a.matches[:2] if evidence_rows(a.ctx, m)[1]]
    evidence += [rng.normal(0, 3, (n, len(EVIDENCE_FEATURES))) for n in (1, 2, 9, 200)]
    for X in evidence:
        assert np.array_equal(fast.evidence_model.predict_proba(X), parts["evidence_model"].predict_proba(X))
    for raw in [*np.linspace(-0.2, 1.2, 1401), 0.35, 0.97]:
        assert np.array_equal(fast.calibrator.predict([raw]), parts["calibrator"].predict([raw]))


def test_classifier_without_spacy_gives_spacys_cats(tiny_bundle: Path, fresh_cache: Path, reference: tuple,
                                                     texts: list[str]) -> None:
    load_bundle(tiny_bundle)
    fast, _ = load_bundle(tiny_bundle)
    _, nlp = reference
    for text in [*texts, *ODD_TEXTS]:
        assert fast.nlp(text[:5000]).cats == nlp(text[:5000]).cats, text[:40]


def test_suggestions_are_the_same_with_cached_numbers(tiny_bundle: Path, fresh_cache: Path, reference: tuple,
                                                       texts: list[str]) -> None:
    parts, nlp = reference
    slow = Engine(load_engine().catalog, LearnedScorer(
        parts["pair_model"], nlp, parts["calibrator"], parts["learned_terms"], frozenset(parts["known_entries"]),
        parts["veto_below"], parts["add_from"], parts["evidence_model"], parts["evidence_from"]), "tiny")
    load_bundle(tiny_bundle)
    fast = load_engine(bundle=tiny_bundle)
    assert isinstance(fast.scorer.pair_model, PairModel)
    for text in texts[::2]:
        a, b = slow.suggest(text).to_dict(), fast.suggest(text).to_dict()
        a.pop("model_version"), b.pop("model_version")
        assert a == b


def test_damaged_cache_is_rebuilt_from_the_bundle(tiny_bundle: Path, fresh_cache: Path) -> None:
    load_bundle(tiny_bundle)
    expected = load_bundle(tiny_bundle)[0].nlp(EXAM_PUBLISHED).cats
    npz = next(fresh_cache.glob("bundle-*.npz"))
    npz.write_bytes(npz.read_bytes()[:1000])
    assert load_bundle(tiny_bundle)[0].nlp(EXAM_PUBLISHED).cats == expected  # weights read off the bundle again
    meta = next(fresh_cache.glob("bundle-*.json"))
    meta.write_text("{not json", encoding="utf-8")
    scorer, _ = load_bundle(tiny_bundle)
    assert scorer.nlp(EXAM_PUBLISHED).cats == expected
    assert json.loads(meta.read_text(encoding="utf-8"))["key"]  # written again


def test_a_tampered_bundle_is_refused_even_with_its_numbers_cached(tiny_bundle: Path, fresh_cache: Path,
                                                                    tmp_path: Path) -> None:
    b = tmp_path / "copy"
    shutil.copytree(tiny_bundle, b)
    load_bundle(b)
    data = bytearray((b / "pair_model.joblib").read_bytes())
    data[-10] ^= 0xFF
    (b / "pair_model.joblib").write_bytes(bytes(data))
    with pytest.raises(BundleError) as err:
        load_bundle(b)
    assert err.value.code == "DM307"


def test_a_warm_start_imports_neither_scikit_learn_nor_spacy(tiny_bundle: Path, fresh_cache: Path) -> None:
    load_bundle(tiny_bundle)
    load_engine()  # the catalog's cuts are kept too
    code = (
        "import sys\n"
        "from dingmi.engine import load_engine\n"
        f"engine = load_engine(bundle={str(tiny_bundle)!r})\n"
        f"engine.suggest({EXAM_PUBLISHED!r}); engine.suggest({EXAM_BEFORE!r})\n"
        "heavy = ('sklearn', 'scipy', 'spacy', 'thinc', 'joblib', 'zhconv', 'pkg_resources', 'rjieba.rjieba')\n"
        "print(' '.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "DINGMI_DATA_DIR": str(fresh_cache.parent)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["rjieba.rjieba"]  # the document classifier segments the public notice


def test_the_cache_is_optional(tiny_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("DINGMI_DATA_DIR", str(blocked))
    assert not cache_dir().is_dir()
    s = load_engine(bundle=tiny_bundle).suggest(EXAM_BEFORE)
    assert s.level == "机密"


def test_the_cache_keeps_the_most_recent_bundles_only(tiny_bundle: Path, fresh_cache: Path) -> None:
    from dingmi.bundle import KEEP_CACHED

    fresh_cache.mkdir(parents=True)
    for i in range(KEEP_CACHED + 2):
        for suffix in (".json", ".npz"):
            old = fresh_cache / f"bundle-old{i:02d}{suffix}"
            old.write_text("{}", encoding="utf-8")
            os.utime(old, ns=(i * 10**9, i * 10**9))  # old00 is the oldest
    load_bundle(tiny_bundle)
    kept = sorted(p.name for p in fresh_cache.glob("bundle-*.json"))
    assert len(kept) == KEEP_CACHED and "bundle-old00.json" not in kept and f"bundle-old{KEEP_CACHED + 1:02d}.json" in kept
    assert sorted(p.stem for p in fresh_cache.glob("bundle-*.npz")) == sorted(name[:-5] for name in kept)
