"""The service's only contact with the core library: engine loading, suggesting, reading files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, cast


class EngineLike(Protocol):
    """What the service needs from ``dingmi.engine.Engine``."""

    def suggest(self, text: str, *, authority: str | None = None, title: str = "") -> Any: ...


def load(catalog_paths: Sequence[Path] = ()) -> EngineLike:
    """Load the engine once (slow: call from the lifespan, not per request), with the same model
    bundle as ``dingmi suggest`` (``DINGMI_BUNDLE`` or the default one, built on first use)."""
    from dingmi.bundle import default_bundle_dir, ensure_default_bundle
    from dingmi.engine import load_engine

    bundle = default_bundle_dir()
    return cast(EngineLike, load_engine(catalog_paths, bundle if ensure_default_bundle(bundle) else None))


def suggest(engine: EngineLike, text: str, *, authority: str | None, title: str) -> dict[str, Any]:
    """Run the engine and return its suggestion as a plain dict (see ``Suggestion.to_dict``)."""
    return dict(engine.suggest(text, authority=authority, title=title).to_dict())


def catalog_version(engine: EngineLike) -> str:
    """Version of the engine's catalog ("" when unknown)."""
    catalog = getattr(engine, "catalog", None)
    return str(getattr(catalog, "version", "") or "")


def entry_ids(engine: EngineLike) -> frozenset[str]:
    """Ids of all catalog entries the engine knows."""
    catalog = getattr(engine, "catalog", None)
    return frozenset(str(e.id) for e in getattr(catalog, "entries", ()) or ())


def read_document(data: bytes, filename: str) -> str:
    """Extract text from an uploaded .txt/.docx/.pdf (raises ``dingmi.errors.ReadError``)."""
    from dingmi.reader import read_bytes

    return str(read_bytes(data, filename))
