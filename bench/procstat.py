"""CPU time and memory of a server process tree, read from /proc.

CPU time per operation is the figure that survives time-sharing with other work on the
machine: a server that gets half a core does half the operations in the same CPU time.
The tree is summed because a server may fork workers; `cutime`/`cstime` keep the time
of children that already exited and were waited for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/<pid>/stat this benchmark uses (times in clock ticks)."""

    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def ticks(self) -> int:
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> ProcStat:
    """Parse one /proc/<pid>/stat line (proc(5)).

    The command name sits in parentheses and may itself contain spaces or parentheses,
    so the fields are counted from the last `)`.
    """
    head, sep, tail = text.rpartition(")")
    if not sep:
        raise ValueError("not a /proc/<pid>/stat line")
    pid = int(head.split("(", 1)[0])
    fields = tail.split()
    # fields[0] is field 3 (state); utime is field 14, so fields[11].
    return ProcStat(
        pid=pid,
        ppid=int(fields[1]),
        utime=int(fields[11]),
        stime=int(fields[12]),
        cutime=int(fields[13]),
        cstime=int(fields[14]),
    )


def parse_rss_kib(status_text: str) -> int:
    """VmRSS from /proc/<pid>/status, in KiB (0 for a zombie, which has none)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _read_stat(pid: int) -> ProcStat | None:
    try:
        return parse_stat((PROC / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return None


def descendants(root: int) -> list[int]:
    """The root and every live process below it (one scan of /proc)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _read_stat(int(entry.name))
            if stat is not None:
                children.setdefault(stat.ppid, []).append(stat.pid)
    tree = [root]
    for pid in tree:  # grows while walked; parent links cannot form a cycle
        tree.extend(children.get(pid, ()))
    return tree


class ProcessTree:
    """A server's process tree, found once and then sampled cheaply."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.pids = descendants(root)

    def cpu_seconds(self) -> float:
        """User + system CPU of the tree so far, its exited children included."""
        total = 0
        for pid in self.pids:
            stat = _read_stat(pid)
            if stat is not None:
                total += stat.ticks
        return total / CLOCK_TICKS

    def rss_mib(self) -> float:
        """Resident memory of the tree, MiB."""
        total = 0
        for pid in self.pids:
            try:
                total += parse_rss_kib((PROC / str(pid) / "status").read_text())
            except FileNotFoundError:
                continue
        return total / 1024
