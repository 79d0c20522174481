"""Work order: largest files first, archive members together, batches that shrink to single files at the end."""

from __future__ import annotations

from dingmi.scan.schedule import batches, largest_first
from dingmi.scan.walk import Source


def plain(name: str, size: int) -> Source:
    return Source(name, f"/r/{name}", (), size, 0)


def member(archive: str, name: str, size: int) -> Source:
    return Source(f"{archive}!{name}", f"/r/{archive}", (name,), size, 0)


def test_when_sizes_vary_then_largest_first_and_archive_members_stay_together_in_walk_order():
    walked = [plain("a.txt", 10), member("z.zip", "1.txt", 5), plain("b.txt", 300), member("z.zip", "2.txt", 50),
              plain("c.txt", 40), member("z.zip", "3.txt", 1)]
    assert [s.path for s in largest_first(walked)] == [
        "b.txt", "z.zip!1.txt", "z.zip!2.txt", "z.zip!3.txt", "c.txt", "a.txt"]


def test_when_work_runs_out_then_batches_shrink_to_single_files_and_each_file_comes_once():
    sources = [plain(f"d{i:03}.txt", 1000 + (i * 7919) % 20000) for i in range(400)]
    got = list(batches(sources, workers=2, max_files=16, max_bytes=200_000))
    flat = [s.path for b in got for s in b]
    assert sorted(flat) == sorted(s.path for s in sources)
    assert all(len(b) <= 16 and (len(b) == 1 or sum(s.size for s in b) <= 200_000) for b in got)
    assert len(got[0]) > 1 and all(len(b) == 1 for b in got[-5:])
    sizes = [s.size for b in got for s in b]
    assert sizes == sorted(sizes, reverse=True)


def test_when_one_file_is_larger_than_a_batch_then_it_goes_alone():
    got = list(batches([plain("small.txt", 10), plain("huge.txt", 5_000_000)], workers=2, max_bytes=1000))
    assert [[s.path for s in b] for b in got] == [["huge.txt"], ["small.txt"]]
