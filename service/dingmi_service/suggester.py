"""The service's only contact with the core library: engine loading, suggesting, reading files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from dingmi.reader import Extracted


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


def suggest(
    engine: EngineLike, text: str, *, authority: str | None, title: str, source: Extracted | None = None
) -> dict[str, Any]:
    """Run the engine and return its suggestion as a plain dict (see ``Suggestion.to_dict``); with the
    ``source`` of an uploaded file, ``text_source`` is added (and the flag ``ocr`` for OCR text)."""
    result = dict(engine.suggest(text, authority=authority, title=title).to_dict())
    if source is not None:
        from dingmi.reader import annotate

        annotate(result, source)
    return result


def catalog_version(engine: EngineLike) -> str:
    """Version of the engine's catalog ("" when unknown)."""
    catalog = getattr(engine, "catalog", None)
    return str(getattr(catalog, "version", "") or "")


def entry_ids(engine: EngineLike) -> frozenset[str]:
    """Ids of all catalog entries the engine knows."""
    catalog = getattr(engine, "catalog", None)
    return frozenset(str(e.id) for e in getattr(catalog, "entries", ()) or ())


def read_document(data: bytes, filename: str) -> str:
    """Extract text from an uploaded file (raises ``dingmi.errors.ReadError``)."""
    return extract_document(data, filename).text


def extract_document(data: bytes, filename: str, *, ocr: bool = False) -> Extracted:
    """Text of an uploaded file and how it was obtained; ``ocr`` recognises images and scanned pages."""
    from dingmi.reader import extract_bytes

    return extract_bytes(data, filename, ocr=ocr)
