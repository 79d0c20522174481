"""Model bundles: one directory = one deployable model, checked before anything is unpickled.

Layout::

    meta.json            versions, catalog id/version/sha256, training-data sha256, metrics, file sha256s
    pair_model.joblib    scikit-learn entry scorer, evidence (密点) model, calibrator, learned terms
    nlp/                 spaCy pipeline (jieba tokenizer with its user dictionary, textcat)

A joblib file runs code when loaded: ``load_bundle`` refuses any file whose sha256 differs from
meta.json, any file meta.json does not list, and any bundle built with other library versions.
The first load of a bundle keeps its fitted numbers in the data directory's cache (``dingmi.cache``,
keyed by the files' sha256s; JSON and NumPy arrays only), so later runs import neither
scikit-learn nor spaCy (``dingmi.fastmodel``, ``dingmi.textcat`` compute the same figures).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from dingmi import __version__, cache
from dingmi.cache import data_dir
from dingmi.errors import BundleError

META = "meta.json"
FORMAT = 1
CACHE_FORMAT = 2  # layout of the numbers cached per bundle (bump to invalidate)
KEEP_CACHED = 8  # bundles whose numbers the cache keeps (the most recently first loaded)

__all__ = ["data_dir", "default_bundle_dir", "ensure_default_bundle", "load_bundle", "verify", "write_meta"]


@functools.lru_cache(maxsize=1)
def _installed_versions() -> tuple[tuple[str, str], ...]:
    from importlib.metadata import version

    return tuple((lib, version(lib)) for lib in ("scikit-learn", "spacy", "jieba"))


def library_versions() -> dict[str, str]:
    """Versions that must match between training and loading (read without importing the libraries,
    once a process: the libraries a process has loaded do not change under it)."""
    return {"dingmi": __version__, "python": platform.python_version(), **dict(_installed_versions())}


def _compatible(built: str, running: str, parts: int) -> bool:
    return built.split(".")[:parts] == running.split(".")[:parts]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# what ``dingmi-train train`` reads from corpus/: a default bundle built from other contents is rebuilt
CORPUS_INPUTS = ("labeled/*.jsonl", "scorer_only/*.jsonl", "catalogs/*.jsonl", "training_catalogs/*.jsonl",
                 "lexicon.toml", "entries/*.toml")


def corpus_digest(root: Path) -> str:
    """sha256 over the training inputs of a corpus folder (relative names and contents); "" without one."""
    if not root.is_dir():
        return ""
    h = hashlib.sha256()
    for pattern in CORPUS_INPUTS:
        for f in sorted(root.glob(pattern)):
            h.update(f"{f.relative_to(root).as_posix()}\0{sha256_file(f)}\n".encode())
    return h.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != META)


def write_meta(root: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Finish a bundle: record versions, features and the sha256 of every file, then write meta.json."""
    from dingmi.learned import EVIDENCE_FEATURES

    # the evidence features begin with the entry scorer's: one list names both models' inputs
    meta = {**meta, "format": FORMAT, "versions": library_versions(), "features": list(EVIDENCE_FEATURES)}
    meta["files"] = {p.relative_to(root).as_posix(): sha256_file(p) for p in _files(root)}
    (root / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    return meta


def verify(root: str | os.PathLike[str]) -> dict[str, Any]:
    """Check format, versions and checksums; return meta. Nothing is unpickled here."""
    root = Path(root)
    meta_path = root / META
    if not meta_path.is_file():
        raise BundleError(f"模型目录 {root} 中没有 {META}，不是有效的模型包", code="DM301")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"模型包 {root} 的 {META} 已损坏", code="DM302") from exc
    if meta.get("format") != FORMAT:
        raise BundleError(f"模型包 {root} 的格式版本 {meta.get('format')} 不受支持（需要 {FORMAT}）", code="DM303")
    running = library_versions()
    built = meta.get("versions", {})
    for lib, parts in (("scikit-learn", 2), ("spacy", 2), ("dingmi", 2), ("python", 2)):
        if not _compatible(str(built.get(lib, "")), running[lib], parts):
            raise BundleError(
                f"模型包由 {lib} {built.get(lib)} 训练，当前为 {running[lib]}，版本不兼容，拒绝加载；请重新训练（dingmi-train train）",
                code="DM304",
            )
    from dingmi.learned import EVIDENCE_FEATURES

    if meta.get("features") != list(EVIDENCE_FEATURES):
        raise BundleError(f"模型包 {root} 的特征与当前版本不一致，拒绝加载；请重新训练（dingmi-train train）", code="DM308")
    listed: dict[str, str] = meta.get("files", {})
    present = {p.relative_to(root).as_posix() for p in _files(root)}
    unlisted = sorted(present - set(listed))
    if unlisted:
        raise BundleError(f"模型包 {root} 含有未登记的文件 {unlisted[0]}，拒绝加载", code="DM305")
    for name, digest in listed.items():
        path = root / name
        if not path.is_file():
            raise BundleError(f"模型包 {root} 缺少文件 {name}", code="DM306")
        if sha256_file(path) != digest:
            raise BundleError(f"模型包文件 {name} 的校验值与 {META} 不符（可能被篡改），拒绝加载", code="DM307")
    return meta


def load_bundle(root: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """Verify, then load the learned scorer. Returns (LearnedScorer, meta).

    The scorer's parts are read from the data directory's cache when it holds them for exactly these
    files (keyed by their verified sha256s): plain numbers, no pickle, no scikit-learn or spaCy import.
    Otherwise the bundle itself is loaded (joblib, spaCy) and its numbers are cached for the next run.
    """
    meta = verify(root)
    root = Path(root)
    key = _cache_key(meta)
    scorer = _load_cached(root, key) or _load_and_cache(root, key)
    return scorer, meta


def _cache_key(meta: dict[str, Any]) -> str:
    files = json.dumps(meta.get("files", {}), sort_keys=True)
    return hashlib.sha256(f"{CACHE_FORMAT}\n{files}".encode()).hexdigest()[:32]


def _scorer(parts: dict[str, Any], pair_model: Any, nlp: Any, calibrator: Any, evidence_model: Any) -> Any:
    from dingmi.learned import LearnedScorer

    return LearnedScorer(pair_model, nlp, calibrator, parts.get("learned_terms", {}), frozenset(parts["known_entries"]),
                         parts.get("veto_below", 0.05), parts.get("add_from", 0.7), evidence_model,
                         parts.get("evidence_from", 0.5))


def _load_cached(root: Path, key: str) -> Any:
    """The scorer from the cache, or None when it holds nothing usable for this bundle."""
    stored = cache.read_json(f"bundle-{key}.json")
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    from dingmi.fastmodel import Calibrator, PairModel

    try:
        pair = PairModel.from_json(stored["pair_model"])
        calibrator = None if stored["calibrator"] is None else Calibrator.from_json(stored["calibrator"])
        evidence = None if stored["evidence_model"] is None else PairModel.from_json(stored["evidence_model"])
        nlp = None if stored["textcat"] is None else _cached_textcat(root, key, stored["textcat"])
        return _scorer(stored, pair, nlp, calibrator, evidence)
    except (KeyError, TypeError, ValueError):
        return None


def _cached_textcat(root: Path, key: str, info: dict[str, Any]) -> Any:
    """The bundle's document classifier; its weights are read from the cache on first use."""
    from dingmi.textcat import BowTextcat

    def weights() -> tuple[Any, Any]:
        import zipfile

        import numpy as np

        try:
            with np.load(cache.cache_dir() / f"bundle-{key}.npz", allow_pickle=False) as z:
                W, b = z["W"], z["b"]  # zip CRCs catch a damaged file
            n = len(info["labels"])
            if W.dtype == b.dtype == np.float32 and W.shape == (n * int(info["length"]),) and b.shape == (n,):
                return W, b
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass
        # the cached weights are gone or damaged: read them off the bundle again, checked again first
        exported = _export_textcat(root) if _cache_key(verify(root)) == key else None
        if exported is None:
            raise BundleError(f"模型包 {root} 在使用中被更改，请重新运行", code="DM307")
        return exported[1], exported[2]

    return BowTextcat(info["labels"], info["words"], info["symbols"], int(info["length"]), weights,
                      int(info["max_length"]))


def _load_spacy(root: Path) -> Any:
    if not (root / "nlp").is_dir():
        return None
    import spacy

    import dingmi.spacy_jieba  # noqa: F401  (registers the tokenizer before spacy.load)

    return spacy.load(root / "nlp")


def _export_textcat(root: Path) -> Any:
    from dingmi.textcat import export

    nlp = _load_spacy(root)
    return None if nlp is None else export(nlp)


def _load_and_cache(root: Path, key: str) -> Any:
    """Load the bundle itself (joblib, spaCy), then cache its numbers when they have the usual shape."""
    import joblib
    import numpy as np

    from dingmi.fastmodel import export_calibrator, export_pair_model
    from dingmi.textcat import BowTextcat, export

    parts = joblib.load(root / "pair_model.joblib")
    nlp = _load_spacy(root)
    pair = export_pair_model(parts["pair_model"])
    calibrator = export_calibrator(parts.get("calibrator"))
    evidence = None if parts.get("evidence_model") is None else export_pair_model(parts["evidence_model"])
    textcat = None if nlp is None else export(nlp)
    if (pair is None or (calibrator is None) != (parts.get("calibrator") is None) or (textcat is None) != (nlp is None)
            or (evidence is None) != (parts.get("evidence_model") is None)):  # an unusual bundle: as it is
        return _scorer(parts, parts["pair_model"], nlp, parts.get("calibrator"), parts.get("evidence_model"))
    fast_nlp, info = None, None
    if textcat is not None:
        info, W, b = textcat
        fast_nlp = BowTextcat(info["labels"], info["words"], info["symbols"], info["length"], lambda: (W, b),
                              info["max_length"])
        cache.write_file(f"bundle-{key}.npz", lambda f: np.savez(f, W=W, b=b))
    for name in cache.prune("bundle-*.json", KEEP_CACHED - 1):  # with the one written below
        cache.prune(name.removesuffix(".json") + ".npz", 0)
    cache.write_json(f"bundle-{key}.json", {
        "key": key, "pair_model": pair.to_json(), "calibrator": None if calibrator is None else calibrator.to_json(),
        "textcat": info, "learned_terms": parts.get("learned_terms", {}), "known_entries": sorted(parts["known_entries"]),
        "veto_below": parts.get("veto_below", 0.05), "add_from": parts.get("add_from", 0.7),
        "evidence_model": None if evidence is None else evidence.to_json(), "evidence_from": parts.get("evidence_from", 0.5),
    })
    return _scorer(parts, pair, fast_nlp, calibrator, evidence)


def default_bundle_dir() -> Path:
    """``DINGMI_BUNDLE`` or ``<data dir>/bundles/default``."""
    env = os.environ.get("DINGMI_BUNDLE")
    return Path(env) if env else data_dir() / "bundles" / "default"


def ensure_default_bundle(path: Path) -> bool:
    """Build the default bundle on first use (``python -P -m dingmi_training train``), with messages.

    Runs training in its own process, so the core never imports the training package. The process
    never sees the current directory on its import path (``-P``, and it runs in the data directory),
    so a folder named ``dingmi`` where the user stands cannot shadow the installed package. A lock
    keeps concurrent first uses from building twice. A failed build raises BundleError (DM309):
    the caller reports it, it never falls back to the rules quietly.
    """
    if _current(_usable(path)):
        return True
    import fcntl
    import subprocess
    import sys
    import time

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        meta = _usable(path)
        if _current(meta):
            return True
        why = ("首次使用" if not (path / META).exists() else "训练数据（corpus/）已更新" if meta is not None
               else "默认模型包与当前版本不兼容")
        print(f"{why}：正在用 corpus/ 训练默认模型包（2核约1分钟，内存约700MB），保存到 {path} …",
              file=sys.stderr, flush=True)
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "-P", "-m", "dingmi_training", "train", "--out", str(path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=path.parent)
        if done.returncode != 0 or not (path / META).is_file():
            last = (done.stderr.strip().splitlines() or ["（无输出）"])[-1]
            raise BundleError(f"默认模型包训练失败（{last}）；可用 --no-model 只用规则，或运行 dingmi-train train 查看详情",
                              code="DM309")
        print(f"默认模型包已就绪（用时{time.monotonic() - t0:.0f}秒），以后直接加载：{path}", file=sys.stderr, flush=True)
        return True


def _current(meta: dict[str, Any] | None) -> bool:
    """A usable bundle (its meta) that is not out of date: it records no corpus (trained from other rows,
    or with extra catalogs) or the corpus it was built from is unchanged."""
    from dingmi.catalog import corpus_dir

    if meta is None:
        return False
    built = meta.get("training_data", {}).get("corpus", "")
    return not built or built == corpus_digest(corpus_dir())


def _usable(path: Path) -> dict[str, Any] | None:
    """The meta of the bundle at ``path`` when this version can load it, else None."""
    if not (path / META).is_file():
        return None
    try:
        return verify(path)
    except BundleError:
        return None
