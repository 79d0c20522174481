"""Bundles: trained deterministically, loaded only when versions and checksums hold."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from documents import EXAM_BEFORE

from dingmi.bundle import load_bundle, verify
from dingmi.engine import load_engine
from dingmi.errors import BundleError


def test_bundle_records_versions_catalog_data_and_checksums(tiny_bundle: Path) -> None:
    meta = json.loads((tiny_bundle / "meta.json").read_text(encoding="utf-8"))
    assert {"scikit-learn", "spacy", "jieba", "python", "dingmi"} <= meta["versions"].keys()
    assert meta["catalog"]["version"].startswith("reference@") and len(meta["catalog"]["sha256"]) == 64
    assert len(meta["training_data"]["sha256"]) == 64
    assert "pair_model.joblib" in meta["files"] and any(f.startswith("nlp/") for f in meta["files"])
    assert 0.0 <= meta["metrics"]["cross_validation"]["lodo_level_accuracy"] <= 1.0


def test_engine_with_bundle_reports_model_and_catalog(tiny_bundle: Path) -> None:
    s = load_engine(bundle=tiny_bundle).suggest(EXAM_BEFORE)
    assert s.model_version.startswith("tiny@")
    assert s.catalog_version.startswith("reference@")
    assert s.level == "机密"
    assert 0.0 <= s.confidence <= 1.0


def test_training_is_deterministic(tiny_bundle: Path, tiny_rows: list, tmp_path: Path) -> None:
    from dingmi.catalog import load_default
    from dingmi_training.train import train

    again = train(tiny_rows, tmp_path / "again", catalog=load_default(), name="tiny")
    first = json.loads((tiny_bundle / "meta.json").read_text(encoding="utf-8"))
    assert again["training_data"] == first["training_data"]
    assert again["metrics"] == first["metrics"]
    a, b = load_engine(bundle=tiny_bundle), load_engine(bundle=tmp_path / "again")
    for text in (EXAM_BEFORE, EXAM_BEFORE.replace("省", "市")):
        sa, sb = a.suggest(text), b.suggest(text)
        assert [(e.id, e.score) for e in sa.entries] == [(e.id, e.score) for e in sb.entries]
        assert sa.confidence == sb.confidence


def _copy(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bundle, target)
    return target


def _edit_meta(bundle: Path, edit: Callable[[dict], None]) -> None:
    meta = json.loads((bundle / "meta.json").read_text(encoding="utf-8"))
    edit(meta)
    (bundle / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def test_tampered_joblib_is_refused_before_unpickling(tiny_bundle: Path, tmp_path: Path) -> None:
    b = _copy(tiny_bundle, tmp_path)
    data = bytearray((b / "pair_model.joblib").read_bytes())
    data[-10] ^= 0xFF
    (b / "pair_model.joblib").write_bytes(bytes(data))
    with pytest.raises(BundleError) as err:
        load_bundle(b)
    assert err.value.code == "DM307" and "pair_model.joblib" in err.value.message


def test_unlisted_file_is_refused(tiny_bundle: Path, tmp_path: Path) -> None:
    b = _copy(tiny_bundle, tmp_path)
    (b / "extra.joblib").write_bytes(b"not listed")
    with pytest.raises(BundleError) as err:
        verify(b)
    assert err.value.code == "DM305"


def test_other_library_version_is_refused(tiny_bundle: Path, tmp_path: Path) -> None:
    b = _copy(tiny_bundle, tmp_path)
    _edit_meta(b, lambda m: m["versions"].update({"scikit-learn": "0.24.2"}))
    with pytest.raises(BundleError) as err:
        load_bundle(b)
    assert err.value.code == "DM304" and "scikit-learn" in err.value.message


def test_missing_meta_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError) as err:
        load_bundle(tmp_path)
    assert err.value.code == "DM301"


def test_bundle_with_other_features_is_refused(tiny_bundle: Path, tmp_path: Path) -> None:
    b = _copy(tiny_bundle, tmp_path)
    _edit_meta(b, lambda m: m.update({"features": m["features"][:-1]}))
    with pytest.raises(BundleError) as err:
        load_bundle(b)
    assert err.value.code == "DM308"


def test_incompatible_default_bundle_is_rebuilt(tiny_bundle: Path, tmp_path: Path, tiny_corpus: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from dingmi.bundle import ensure_default_bundle

    b = _copy(tiny_bundle, tmp_path)
    _edit_meta(b, lambda m: m["versions"].update({"spacy": "2.0.0"}))
    monkeypatch.setenv("DINGMI_CORPUS_DIR", str(tiny_corpus))
    assert ensure_default_bundle(b)
    assert verify(b)["versions"]["spacy"] != "2.0.0"


def test_default_bundle_is_rebuilt_when_its_corpus_changes(tiny_bundle: Path, tmp_path: Path, tiny_corpus: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A default bundle records the corpus it was trained from; new training documents rebuild it on the
    next use, the same corpus keeps it, and a bundle that records no corpus is never rebuilt for one."""
    from dingmi.bundle import corpus_digest, ensure_default_bundle

    monkeypatch.setenv("DINGMI_CORPUS_DIR", str(tiny_corpus))
    b = _copy(tiny_bundle, tmp_path)
    assert verify(b)["training_data"]["corpus"] == ""  # trained from rows, not a corpus folder
    (tiny_corpus / "labeled" / "more.jsonl").write_text((tiny_corpus / "labeled" / "tiny.jsonl").read_text(
        encoding="utf-8").splitlines()[0].replace('"id": "', '"id": "more-') + "\n", encoding="utf-8")
    assert ensure_default_bundle(b) and verify(b)["created_at"] == verify(tiny_bundle)["created_at"]
    _edit_meta(b, lambda m: m["training_data"].update({"corpus": corpus_digest(tiny_corpus)}))
    assert ensure_default_bundle(b) and verify(b)["created_at"] == verify(tiny_bundle)["created_at"]  # unchanged
    (tiny_corpus / "labeled" / "more.jsonl").unlink()  # the corpus changed since the build
    assert ensure_default_bundle(b)
    rebuilt = verify(b)
    assert rebuilt["training_data"]["corpus"] == corpus_digest(tiny_corpus) != ""
    assert rebuilt["created_at"] != verify(tiny_bundle)["created_at"] or rebuilt["files"] != verify(tiny_bundle)["files"]


def test_learned_layer_never_vetoes_an_entry_it_has_no_examples_of(tiny_bundle: Path, tmp_path: Path) -> None:
    from test_catalog import RAIL_DOC, _entry, _write

    org = _write(tmp_path / "rail.jsonl", [_entry()])
    engine = load_engine([org], tiny_bundle)
    assert "rw-01" not in engine.scorer.known_entries and "edu-06" in engine.scorer.known_entries
    a = engine.analyse(RAIL_DOC)
    engine.scorer.rescore(a.matches, a.ctx)
    rail = next(m for m in a.matches if m.entry_id == "rw-01")
    assert rail.prob is not None and not rail.vetoable
    assert engine.suggest(RAIL_DOC).level == "机密"


def test_scorer_only_rows_teach_the_entry_scorer_not_the_document_classifier(
        monkeypatch: pytest.MonkeyPatch, tiny_rows: list, tmp_path: Path) -> None:
    import dingmi_training.train as training
    from dingmi.catalog import load_default
    from dingmi_training.data import load_examples, scorer_only_dir

    seen: list[str] = []
    real = training.train_textcat

    def spy(rows: list, words: list, **kw: object) -> object:
        seen.extend(r["id"] for r in rows)
        return real(rows, words, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "train_textcat", spy)
    extra = load_examples(scorer_only_dir())[::10]
    assert extra
    meta = training.train(tiny_rows, tmp_path / "b", catalog=load_default(), name="tiny", scorer_only=extra)
    assert meta["training_data"]["examples"] == len(tiny_rows) + len(extra)
    assert sorted(seen) == sorted(r["id"] for r in tiny_rows)
