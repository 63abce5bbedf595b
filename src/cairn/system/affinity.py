"""On SQLite, keep the process's threads on one CPU.

Python runs one thread at a time (the GIL). With SQLite the event loop hands work to the writer's and readers'
threads and back many times a request; when those threads sit on different CPUs every hand-over wakes another
CPU, and the loop waits for it. Kept on one CPU (the one the process starts on), the build-status POST answered
3342-3702 requests/s with p99 11-14 ms against 2236-3052 and 17-36 ms spread over two (bench/, 16 connections,
this project's 2-CPU machine); on PostgreSQL (no such threads) it changed nothing, so it is left alone there.
"""

from __future__ import annotations

import os
from contextlib import suppress


def _current_cpu() -> int:
    """The CPU this thread last ran on (field 39 of /proc/thread-self/stat)."""
    with open("/proc/thread-self/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[36])


_ANY: set[int] = set()  # the CPUs the process could use before keep_to_one_cpu (empty: it was not called)


def keep_to_one_cpu() -> int | None:
    """Keep every thread of this process, and the threads they start, on the CPU it runs on now; that CPU, or None
    where there is nothing to do (a single allowed CPU) or no way to (not Linux)."""
    if not hasattr(os, "sched_setaffinity") or not os.path.exists("/proc/thread-self/stat"):
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        return None
    _ANY.update(allowed)
    cpu = _current_cpu()
    if cpu not in allowed:
        cpu = min(allowed)
    for task in os.listdir("/proc/self/task"):
        with suppress(OSError):  # a thread that just ended
            os.sched_setaffinity(int(task), {cpu})
    return cpu


def on_any_cpu() -> None:
    """Let the calling thread run on any of the process's CPUs again: for work that needs no hand-over and takes
    long (hashing a password, ~50 ms of CPU outside the GIL), so that a burst of sign-ins does not share the event
    loop's CPU."""
    if _ANY:
        os.sched_setaffinity(0, _ANY)
