"""Worker processes shared by ``transcribe`` and ``batch``: start method, count, set-up."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import signal
import threading
import time


def pool_context() -> multiprocessing.context.BaseContext:
    """A fork server where available (no copied locks or threads), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def default_workers() -> int:
    """Worker processes to use by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _process_gone(pid: int) -> bool:
    """True when process ``pid`` has exited (a zombie counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # noqa: PTH123
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False


def _watch_parent(pid: int, interval: float) -> None:
    while not _process_gone(pid):
        time.sleep(interval)
    os._exit(1)


def init_worker(parent_pid: int) -> None:
    """Pool worker set-up: single-threaded Tesseract, Ctrl-C left to the parent.

    Pool workers are started by a fork server, not by the parent, and would wait forever for
    work if the parent were killed (``kill -9``); a watcher thread ends the worker when the
    parent is gone.
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid, 0.5), daemon=True).start()
