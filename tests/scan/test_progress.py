"""Progress: plain periodic lines when not on a terminal, with counts only."""

from __future__ import annotations

import io

from dingmi.scan.progress import PlainProgress, RichProgress, make_progress


def test_when_not_a_terminal_then_plain_lines_with_files_mb_rate_and_eta():
    stream = io.StringIO()
    progress = PlainProgress(stream, interval=0)
    progress.start(3, 3_000_000)
    for _ in range(3):
        progress.advance(1_000_000)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5 and lines[0].startswith("开始：0/3个文件")
    assert "2/3个文件" in lines[2] and "MB" in lines[2] and "个/秒" in lines[2] and "预计剩余" in lines[2]
    assert lines[-1].startswith("结束：3/3个文件")
    assert isinstance(make_progress(io.StringIO()), PlainProgress)


def test_when_a_terminal_then_rich_bar():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(make_progress(Tty()), RichProgress)
