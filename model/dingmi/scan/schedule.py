"""The order and the batches in which the files of a scan are handed to the workers.

Two workers only finish together when the last pieces of work are small: files are taken
largest first, and each batch holds at most a quarter of the bytes left per worker (and at most
``max_files`` files, ``max_bytes`` bytes), so the batches shrink to single files towards the end.
The members of one archive stay together, in walk order, so a worker reads them from the archive
it already has open; the group is placed by its largest member.
"""

from __future__ import annotations

from collections.abc import Iterator

from dingmi.scan.walk import Source

__all__ = ["BATCH_BYTES", "BATCH_FILES", "batches", "largest_first"]

BATCH_FILES = 16
BATCH_BYTES = 1024 * 1024
SHARE = 4  # a batch holds at most 1/SHARE of the bytes left per worker


def largest_first(sources: list[Source]) -> list[Source]:
    """Plain files by size, largest first; archive members grouped by archive (walk order kept)."""
    groups: dict[tuple[bool, str], list[Source]] = {}
    for source in sources:
        key = (True, source.fs_path) if source.members else (False, source.path)
        groups.setdefault(key, []).append(source)
    ordered = sorted(groups.values(), key=lambda group: -max(s.size for s in group))  # stable: ties keep walk order
    return [source for group in ordered for source in group]


def batches(sources: list[Source], workers: int = 1, max_files: int = BATCH_FILES,
            max_bytes: int = BATCH_BYTES) -> Iterator[list[Source]]:
    """``sources`` in :func:`largest_first` order, cut into batches that shrink as the work runs out."""
    ordered = largest_first(sources)
    left = sum(s.size for s in ordered)
    batch: list[Source] = []
    size = 0
    for source in ordered:
        cap = min(max_bytes, left // (SHARE * max(workers, 1)))
        if batch and (len(batch) >= max_files or size + source.size > cap):
            yield batch
            left -= size
            batch, size = [], 0
        batch.append(source)
        size += source.size
    if batch:
        yield batch
