"""Model bundles: one directory = one deployable model, checked before anything is unpickled.

Layout::

    meta.json            versions, catalog id/version/sha256, training-data sha256, metrics, file sha256s
    pair_model.joblib    scikit-learn pair scorer, TF-IDF vectorizer, calibrator, learned terms
    nlp/                 spaCy pipeline (jieba tokenizer with its user dictionary, textcat)

A joblib file runs code when loaded: ``load_bundle`` refuses any file whose sha256 differs from
meta.json, any file meta.json does not list, and any bundle built with other library versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from dingmi import __version__
from dingmi.errors import BundleError

META = "meta.json"
FORMAT = 1


def library_versions() -> dict[str, str]:
    """Versions that must match between training and loading (read without importing the libraries)."""
    from importlib.metadata import version

    return {
        "dingmi": __version__,
        "python": platform.python_version(),
        "scikit-learn": version("scikit-learn"),
        "spacy": version("spacy"),
        "jieba": version("jieba"),
    }


def _compatible(built: str, running: str, parts: int) -> bool:
    return built.split(".")[:parts] == running.split(".")[:parts]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != META)


def write_meta(root: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Finish a bundle: record versions, features and the sha256 of every file, then write meta.json."""
    from dingmi.learned import PAIR_FEATURES

    meta = {**meta, "format": FORMAT, "versions": library_versions(), "features": list(PAIR_FEATURES)}
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
    from dingmi.learned import PAIR_FEATURES

    if meta.get("features") != list(PAIR_FEATURES):
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
    """Verify, then load the learned scorer. Returns (LearnedScorer, meta)."""
    meta = verify(root)
    import joblib

    from dingmi.learned import LearnedScorer

    root = Path(root)
    parts = joblib.load(root / "pair_model.joblib")
    nlp = None
    if (root / "nlp").is_dir():
        import spacy

        import dingmi.spacy_jieba  # noqa: F401  (registers the tokenizer before spacy.load)

        nlp = spacy.load(root / "nlp")
    scorer = LearnedScorer(parts["pair_model"], nlp, parts.get("calibrator"),
                           parts.get("learned_terms", {}), frozenset(parts["known_entries"]),
                           parts.get("veto_below", 0.05), parts.get("add_from", 0.7))
    return scorer, meta


def data_dir() -> Path:
    """``DINGMI_DATA_DIR`` or the user's data directory."""
    env = os.environ.get("DINGMI_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "dingmi"


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
    if _usable(path):
        return True
    import fcntl
    import subprocess
    import sys
    import time

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _usable(path):
            return True
        why = "首次使用" if not (path / META).exists() else "默认模型包与当前版本不兼容"
        print(f"{why}：正在用 corpus/ 训练默认模型包（2核约1分钟，内存约500MB），保存到 {path} …",
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


def _usable(path: Path) -> bool:
    """True when ``path`` holds a bundle this version can load."""
    if not (path / META).is_file():
        return False
    try:
        verify(path)
    except BundleError:
        return False
    return True
