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
