"""The same scan on a Dask LocalCluster gives the same rows as the local process pool."""

from __future__ import annotations

import pytest
from scan.scanfiles import rows, scan

pytest.importorskip("dask.distributed")


def test_when_run_on_dask_local_cluster_then_results_equal_local_run(mixed, mixed_scan, tmp_path):
    local_out, local_summary = mixed_scan
    out = tmp_path / "dask"
    summary = scan(mixed[0], out, engine="dask", workers=2)
    assert summary.files == local_summary.files and summary.processed == local_summary.processed
    assert (out / "results.jsonl").read_bytes() == (local_out / "results.jsonl").read_bytes()
    assert (out / "results.csv").read_bytes() == (local_out / "results.csv").read_bytes()
    assert [r["path"] for r in rows(out)] == [r["path"] for r in rows(local_out)]


def test_when_a_file_stalls_on_dask_then_timeout_row_and_the_rest_done(tmp_path):
    from scan.scanfiles import EXAM_BEFORE, make_slow_pdf

    root = tmp_path / "root"
    root.mkdir()
    make_slow_pdf(root / "slow.pdf", 600_000)  # ~10 s of text extraction
    (root / "ok.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    scan(root, tmp_path / "out", engine="dask", workers=1, file_timeout=2)
    assert {r["path"]: r.get("code", "") for r in rows(tmp_path / "out")} == {"ok.txt": "", "slow.pdf": "DM137"}
