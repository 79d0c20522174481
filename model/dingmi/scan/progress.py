"""Progress on stderr: a rich bar (files, MB, rate, ETA) on a terminal, plain periodic lines otherwise.

Only counts are shown, never file contents.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

__all__ = ["PlainProgress", "Progress", "RichProgress", "make_progress"]


class Progress(Protocol):
    """What the runner reports to."""

    def start(self, files: int, size: int) -> None:
        """The work ahead: number of files to process and their bytes."""

    def advance(self, size: int) -> None:
        """One file done."""

    def tick(self) -> None:
        """Called about once a second while work runs, also when no file finishes (a stalled file)."""

    def close(self) -> None:
        """Work finished or stopped."""


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}小时{seconds % 3600 // 60}分"
    if seconds >= 60:
        return f"{seconds // 60}分{seconds % 60}秒"
    return f"{seconds}秒"


class PlainProgress:
    """A line every ``interval`` seconds and one at the end, for logs and pipes."""

    def __init__(self, stream: TextIO | None = None, interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self.files = self.size = self.done = self.done_size = 0
        self.t0 = self.last = self.last_done = 0.0

    def start(self, files: int, size: int) -> None:
        self.files, self.size = files, size
        self.t0 = self.last = self.last_done = time.monotonic()
        self._line("开始")

    def advance(self, size: int) -> None:
        self.done += 1
        self.done_size += size
        self.last_done = time.monotonic()
        self.tick()

    def tick(self) -> None:
        now = time.monotonic()
        if self.t0 and now - self.last >= self.interval:
            self.last = now
            self._line("进度")

    def close(self) -> None:
        self._line("结束")

    def _line(self, label: str) -> None:
        elapsed = max(time.monotonic() - self.t0, 1e-9)
        rate = self.done / elapsed
        eta = (self.files - self.done) / rate if rate > 0 else 0.0
        text = (f"{label}：{self.done}/{self.files}个文件，{self.done_size / 1e6:.1f}/{self.size / 1e6:.1f} MB，"
                f"{rate:.1f}个/秒，{self.done_size / 1e6 / elapsed:.2f} MB/秒")
        if label == "进度":
            text += f"，{remaining_text(self.files - self.done, eta, time.monotonic() - self.last_done, elapsed, self.done)}"
        print(text, file=self.stream, flush=True)


def remaining_text(left: int, eta: float, idle: float, elapsed: float, done: int) -> str:
    """The time-left part of a progress line: never "0秒" while files remain or one is stalled."""
    usual = elapsed / done if done else 0.0
    if left and (not done or idle > max(10.0, 5 * usual)):
        return f"已有{_duration(idle)}没有文件完成（可能有文件处理较慢），预计剩余时间未知"
    return f"预计剩余{_duration(max(eta, 1.0) if left else 0.0)}"


class RichProgress:
    """A rich progress bar on the terminal: the bar and ETA follow bytes, beside files and files/s."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[files]}"),
            DownloadColumn(), TransferSpeedColumn(), TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(), TextColumn("剩余"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False, refresh_per_second=2,  # the parent's CPU is the workers'
        )
        self._task: object = None
        self._files = self._done = 0
        self._t0 = 0.0

    def start(self, files: int, size: int) -> None:
        self._files, self._t0 = files, time.monotonic()
        self._progress.start()
        self._task = self._progress.add_task("扫描", total=max(size, 1), files=f"0/{files}个文件", rate="")

    def advance(self, size: int) -> None:
        self._done += 1
        rate = self._done / max(time.monotonic() - self._t0, 1e-9)
        self._progress.update(self._task, advance=size, files=f"{self._done}/{self._files}个文件",  # type: ignore[arg-type]
                              rate=f"{rate:.1f}个/秒")

    def tick(self) -> None:
        self._progress.refresh()

    def close(self) -> None:
        self._progress.stop()


def make_progress(stream: TextIO | None = None) -> Progress:
    """Rich on a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    return RichProgress() if stream.isatty() else PlainProgress(stream)
