"""Run a batch: every page of every cable is a task on a process pool or a Dask cluster.

Pages of all cables share one queue, so every worker stays busy even with one long cable.
When the last page of a cable is read, its structure and correction step runs in this
process, on one background thread, while the workers go on reading pages. That thread
loads the dictionaries and builds the corrector's index at the start of the batch, so the
load overlaps the page OCR and the workers never hold the lexicon. Finished transcripts
are written into a temporary folder inside the output folder and renamed into place; only
then does the manifest mark the cable done.

A failing page fails its cable, never the batch. A worker process that dies (a crash in a
native library, the out-of-memory killer) breaks the pool: the pool is restarted, and the
pages that were in flight are retried one at a time, so the page that kills its worker
again is identified and its cable marked failed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pipeline.batch.discover import (
    CableUnit,
    cable_id_of,
    content_hash,
    discover_cables,
    id_slug,
    stat_signature,
)
from pipeline.batch.manifest import MANIFEST_NAME, Manifest
from pipeline.batch.report import BatchReport, CableResult, transcript_stats
from pipeline.config import PipelineConfig
from pipeline.errors import (
    BadArgumentsError,
    InputError,
    OutputError,
    PipelineError,
)
from pipeline.ingest import PageSpec, discover_pages
from pipeline.lexicon import source_key
from pipeline.outputs import check_formats, write_outputs
from pipeline.records import OcrPage, PageRef, Transcript
from pipeline.resources import package_version
from pipeline.workers import default_workers, init_worker, pool_context

TMP_NAME = ".cable-ocr-tmp"
LOCK_NAME = ".cable-ocr-batch.lock"
IN_FLIGHT_PER_WORKER = 2
"""Tasks queued per worker: enough to keep it busy, few enough to bound memory."""
NO_ID_GROUP = "no-cable-id"
"""Output subfolder for the pages of a mixed folder whose cable id could not be read."""

PageFunction = Callable[[PageSpec, PipelineConfig], OcrPage]


class BatchProgress(Protocol):
    """Receives progress events from ``run_batch``."""

    def start(self, cables: int, pages: int) -> None:
        """Work is about to begin: ``cables`` to process holding ``pages`` pages."""

    def advance(self, pages: int) -> None:
        """``pages`` more pages were read (or dropped with their failed cable)."""

    def cable_done(self, result: CableResult) -> None:
        """A cable finished (done or failed)."""


def config_fingerprint(config: PipelineConfig) -> str:
    """Hash of everything that can change the outputs (not the worker count).

    Covers the settings, the package version and, when correction is on, the size and
    modification time of the dictionaries and of the word lists review teaches
    (``user_words.txt``, ``protected.txt``): rebuilding a dictionary or applying a review
    redoes the cables.
    """
    data = dataclasses.asdict(config)
    data["ocr"].pop("workers", None)
    files = source_key(config.correction) if config.correction.enabled else ""
    text = json.dumps(
        {"version": package_version(), "config": data, "files": files},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- worker tasks


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What a page task sends back: the page or the reason it failed, and costs."""

    index: int
    page: OcrPage | None
    error: str
    seconds: float
    pid: int
    peak_rss_kb: int
    """Peak resident memory of the worker process (KiB; Tesseract runs as a child process)."""


@dataclass(frozen=True, slots=True)
class AssembleOutcome:
    """What an assembly task sends back: the transcript or the reason it failed."""

    transcript: Transcript | None
    error: str
    seconds: float
    pid: int = 0
    peak_rss_kb: int = 0


def peak_rss_kb() -> int:
    """This process's peak resident memory in KiB (``VmHWM``; 0 when unknown)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _describe(exc: BaseException) -> str:
    if isinstance(exc, PipelineError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def run_page(
    spec: PageSpec, config: PipelineConfig, page_fn: PageFunction | None = None
) -> PageOutcome:
    """Read one page in a worker; never raises (the error is returned)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    start = time.perf_counter()
    page: OcrPage | None = None
    error = ""
    try:
        if page_fn is None:
            from pipeline.read import read_one

            page_fn = read_one
        page = page_fn(spec, config)
    except Exception as exc:  # noqa: BLE001 - a bad page fails its cable, not the batch
        error = f"{spec.ref.label()}: {_describe(exc)}"
    return PageOutcome(
        spec.ref.index,
        page,
        error,
        time.perf_counter() - start,
        os.getpid(),
        peak_rss_kb(),
    )


def run_assemble(pages: Sequence[OcrPage], config: PipelineConfig) -> AssembleOutcome:
    """Structure and correct one cable's pages; never raises."""
    from pipeline.api import assemble

    start = time.perf_counter()
    try:
        transcript: Transcript | None = assemble(pages, config)
        error = ""
    except Exception as exc:  # noqa: BLE001 - a bad cable fails alone
        transcript, error = None, _describe(exc)
    return AssembleOutcome(
        transcript, error, time.perf_counter() - start, os.getpid(), peak_rss_kb()
    )


def warm_up(config: PipelineConfig) -> None:
    """Prepare the first cable's assembly: stage imports, dictionaries, corrector index.

    Never raises: a dictionary that cannot be loaded fails each cable's assembly instead,
    with the real error.
    """
    import pipeline.structure  # noqa: F401 - compiles the header grammar once, here

    if not config.correction.enabled:
        return
    import pipeline.correct  # noqa: F401
    from pipeline.api import lexicon_for
    from pipeline.correction.candidates import candidate_index, spell_index

    with contextlib.suppress(Exception):  # the cable's assembly reports the error
        lexicon = lexicon_for(config.correction)
        candidate_index(lexicon)
        if config.correction.max_edit_distance:
            spell_index(lexicon)


def idle_core(workers: int, busy: int, pages_left: int) -> bool:
    """True when a core is free for work in this process besides the page workers.

    With fewer local workers than cores there is one from the start; with a worker per core,
    one appears when no page is waiting and a worker has nothing in hand (the last pages).
    """
    return workers < default_workers() or (pages_left == 0 and busy < workers)


# --------------------------------------------------------------------------- executors


class _Executor(Protocol):
    capacity: int

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def wait(self, handles: Sequence[Any], timeout: float) -> set[Any]: ...

    def restart(self) -> None: ...

    def close(self) -> None: ...


class PoolExecutor:
    """Local worker processes (``concurrent.futures.ProcessPoolExecutor``)."""

    def __init__(self, workers: int) -> None:
        self.capacity = workers
        self._pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.capacity,
            mp_context=pool_context(),
            initializer=init_worker,
            initargs=(os.getpid(),),
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue ``fn(*args)`` on a worker."""
        return self._pool.submit(fn, *args)

    def wait(self, handles: Sequence[Any], timeout: float) -> set[Any]:
        """Handles finished within ``timeout`` seconds (at least one unless it timed out)."""
        done, _ = wait_futures(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return set(done)

    def _kill(self) -> None:
        processes: dict[int, Any] = dict(getattr(self._pool, "_processes", None) or {})
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes.values():
            with contextlib.suppress(Exception):
                process.kill()
        for process in processes.values():
            with contextlib.suppress(Exception):
                process.join(5)

    def restart(self) -> None:
        """Replace a broken pool with a fresh one."""
        self._kill()
        self._pool = self._new()

    def close(self) -> None:
        """Stop the workers; pending tasks are dropped."""
        self._kill()


class DaskExecutor:
    """Workers of a Dask distributed cluster (``distributed.Client(address)``).

    When every worker advertises an ``ocr`` resource (``dask worker --resources ocr=1``),
    each task takes one unit of it, so a worker runs no more Tesseract processes than that.
    """

    def __init__(self, address: str, connect_timeout: float = 20.0) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise BadArgumentsError(
                "--scheduler needs Dask: pip install 'cable-ocr[batch]'"
            ) from exc
        try:
            self._client = Client(address, timeout=connect_timeout)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise BadArgumentsError(
                f"{address}: cannot reach a Dask scheduler with workers ({exc})"
            ) from exc
        try:
            self._client.wait_for_workers(1, timeout=connect_timeout)
        except (OSError, TimeoutError) as exc:
            self._client.close()  # type: ignore[no-untyped-call]
            raise BadArgumentsError(
                f"{address}: cannot reach a Dask scheduler with workers ({exc})"
            ) from exc
        workers = self._client.scheduler_info().get("workers", {})
        self.capacity = max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))
        has_ocr = bool(workers) and all(
            "ocr" in (w.get("resources") or {}) for w in workers.values()
        )
        self._resources = {"ocr": 1} if has_ocr else None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Queue ``fn(*args)`` on the cluster."""
        return self._client.submit(fn, *args, pure=False, resources=self._resources)

    def wait(self, handles: Sequence[Any], timeout: float) -> set[Any]:
        """Handles finished within ``timeout`` seconds."""
        from distributed import wait

        try:
            result = wait(  # type: ignore[no-untyped-call]
                list(handles), timeout=timeout, return_when="FIRST_COMPLETED"
            )
        except TimeoutError:
            return set()
        return set(result.done)

    def restart(self) -> None:
        """Nothing to do: the scheduler reschedules the tasks of lost workers itself."""

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        self._client.close()  # type: ignore[no-untyped-call]


# --------------------------------------------------------------------------- bookkeeping


@dataclass(eq=False)
class _Run:
    """A unit being processed in this run."""

    unit: CableUnit
    specs: list[PageSpec]
    pages: dict[int, OcrPage] = field(default_factory=dict)
    page_seconds: dict[tuple[str, int], float] = field(default_factory=dict)
    seconds: float = 0.0
    started: bool = False
    finished: bool = False
    groups: list[tuple[str, list[OcrPage]]] = field(default_factory=list)
    outcomes: dict[int, AssembleOutcome] = field(default_factory=dict)


@dataclass(eq=False)
class _Task:
    kind: Literal["page", "assemble"]
    run: _Run
    spec: PageSpec | None = None
    group: int = 0

    def label(self) -> str:
        if self.spec is not None:
            return self.spec.ref.label()
        return f"assembly of {self.run.groups[self.group][0]}"


def _group_pages(unit: CableUnit, pages: list[OcrPage]) -> list[tuple[str, list[OcrPage]]]:
    """Split a folder's pages by the cable id in their PAGE lines (one group when one id)."""
    if unit.kind != "images":
        return [(unit.out_name, pages)]
    by_id: dict[str, list[OcrPage]] = {}
    for page in pages:
        by_id.setdefault(cable_id_of(page) or "", []).append(page)
    if len([cid for cid in by_id if cid]) <= 1:
        return [(unit.out_name, pages)]
    groups = []
    for cable_id in sorted(by_id):
        name = f"{unit.out_name}/{id_slug(cable_id) if cable_id else NO_ID_GROUP}"
        members = [
            dataclasses.replace(page, ref=PageRef(page.ref.source, page.ref.page_number, i))
            for i, page in enumerate(by_id[cable_id])
        ]
        groups.append((name, members))
    return groups


def _error_reason(exc: BaseException) -> str:
    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(chain, OSError) and chain.errno == errno.ENOSPC:
            return "disk full"
        chain = chain.__cause__ or chain.__context__
    return _describe(exc)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def place(staged: Path, final: Path, trash: Path) -> None:
    """Move a finished output folder into place, replacing an older one by renames only."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists() or final.is_symlink():
        old = trash / f"old-{uuid.uuid4().hex}"
        final.rename(old)
    staged.rename(final)
    _fsync_dir(final.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = (out_dir / LOCK_NAME).open("a")
    except OSError as exc:
        raise OutputError(
            f"{out_dir}: cannot write to the output folder ({exc.strerror or exc}); "
            "choose a writable --out"
        ) from exc
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise OutputError(f"{out_dir}: another batch is writing to this folder") from exc
        yield


class BatchRunner:
    """One batch run (use ``run_batch``)."""

    def __init__(
        self,
        archive: Path,
        out_dir: Path,
        config: PipelineConfig,
        *,
        workers: int,
        scheduler: str | None,
        force: bool,
        progress: BatchProgress | None,
        page_fn: PageFunction | None,
    ) -> None:
        self.archive = archive
        self.out_dir = out_dir
        self.config = config
        self.workers = workers
        self.scheduler = scheduler
        self.force = force
        self.progress = progress
        self.page_fn = page_fn
        self.report = BatchReport(out_dir)
        self.tmp = out_dir / TMP_NAME
        self.manifest: Manifest | None = None
        self.worker_rss_kb: dict[int, int] = {}

    # ---- planning

    def _plan(self, manifest: Manifest) -> list[CableUnit]:
        found = discover_cables(self.archive, exclude=[self.out_dir])
        self.report.notes.extend(found.notes)
        for problem in found.problems:
            self.report.results.append(
                CableResult(problem.key, problem.key, status="failed", error=problem.reason)
            )
        config_hash = config_fingerprint(self.config)
        originals: dict[str, str] = {}
        todo = []
        for unit in found.units:
            record = manifest.get(unit.key)
            try:
                signature = stat_signature(unit)
                if record is not None and record.stat_sig == signature:
                    digest = record.content_hash
                else:
                    digest = content_hash(unit)
            except OSError as exc:
                self.report.results.append(
                    CableResult(
                        unit.out_name,
                        unit.key,
                        status="failed",
                        error=f"cannot read input ({exc.strerror or exc})",
                    )
                )
                continue
            if digest in originals:
                of = originals[digest]
                manifest.mark_duplicate(unit.key, unit.kind, signature, digest, config_hash, of)
                self.report.results.append(
                    CableResult(
                        unit.out_name, unit.key, status="duplicate", error=f"same content as {of}"
                    )
                )
                continue
            originals[digest] = unit.key
            if (
                not self.force
                and record is not None
                and record.state == "done"
                and record.content_hash == digest
                and record.config_hash == config_hash
                and all((self.out_dir / c["cable"]).is_dir() for c in record.cables)
            ):
                if record.stat_sig != signature:
                    manifest.refresh_stat(unit.key, signature)
                for row in record.cables:
                    result = CableResult.from_dict(row)
                    result.status = "skipped"
                    self.report.results.append(result)
                continue
            manifest.plan(unit.key, unit.kind, signature, digest, config_hash)
            todo.append(unit)
        return todo

    def _prepare(self, units: list[CableUnit]) -> list[_Run]:
        runs = []
        for unit in units:
            try:
                specs = discover_pages(list(unit.inputs), self.config.ingest)
            except Exception as exc:  # noqa: BLE001 - a bad input fails its cable only
                self._fail_unstarted(unit, _describe(exc))
                continue
            runs.append(_Run(unit, specs))
        if (
            self.scheduler is None
            and self.page_fn is None
            and any(s.kind != "text" for r in runs for s in r.specs)
        ):
            from pipeline.read import check_ocr_setup

            check_ocr_setup(self.config)
        return runs

    def _fail_unstarted(self, unit: CableUnit, error: str) -> None:
        assert self.manifest is not None
        self.manifest.mark_running(unit.key)
        result = CableResult(unit.out_name, unit.key, status="failed", error=error)
        self._record(unit.key, [result])

    def _record(self, key: str, results: list[CableResult]) -> None:
        """Record a finished unit in the manifest and count its cables, Ctrl-C held between.

        The unit is failed in the manifest if any of its cables failed; holding Ctrl-C keeps
        the summary from lacking a unit the manifest has recorded.
        """
        assert self.manifest is not None
        rows = [r.to_dict() for r in results]
        failed = [r for r in results if r.status == "failed"]
        with _interrupt_held():
            if failed:
                self.manifest.mark_failed(key, "; ".join(r.error for r in failed), rows)
            else:
                self.manifest.mark_done(key, rows)
            for result in results:
                self._emit(result)

    def _emit(self, result: CableResult) -> None:
        self.report.results.append(result)
        if self.progress is not None:
            self.progress.cable_done(result)

    # ---- finishing a cable

    def _fail_run(self, run: _Run, error: str) -> None:
        if run.finished:
            return
        run.finished = True
        assert self.manifest is not None
        if not run.started:
            self.manifest.mark_running(run.unit.key)
        if self.progress is not None:
            self.progress.advance(len(run.specs) - len(run.pages))
        result = CableResult(
            run.unit.out_name,
            run.unit.key,
            pages=len(run.specs),
            seconds=round(run.seconds, 3),
            status="failed",
            error=error,
        )
        self._record(run.unit.key, [result])

    def _finish_run(self, run: _Run) -> None:
        """Write the transcripts of a cable whose assembly tasks all returned.

        The unit's whole output tree is staged and moved into place at once, so nothing of
        an earlier run that grouped a folder's pages differently (one cable then, several
        cables now, or other cable ids) is left beside the new outputs. A cable whose
        outputs cannot be written fails alone.
        """
        assert self.manifest is not None
        run.finished = True
        run.seconds += sum(o.seconds for o in run.outcomes.values())
        staging = self.tmp / uuid.uuid4().hex
        tree = staging / "unit"
        results: list[CableResult] = []
        written: list[CableResult] = []
        for number, (name, pages) in enumerate(run.groups):
            outcome = run.outcomes[number]
            seconds = outcome.seconds + sum(
                run.page_seconds.get((p.ref.source, p.ref.page_number), 0.0) for p in pages
            )
            result = CableResult(name, run.unit.key, pages=len(pages))
            result.seconds = round(run.seconds if len(run.groups) == 1 else seconds, 3)
            results.append(result)
            if outcome.transcript is None:
                result.status, result.error = "failed", outcome.error
                continue
            result.words, result.mean_confidence, result.flagged_words = transcript_stats(
                outcome.transcript
            )
            folder = tree / name.removeprefix(run.unit.out_name).lstrip("/")
            try:
                write_outputs(outcome.transcript, folder, self.config.output.formats)
            except Exception as exc:  # noqa: BLE001 - e.g. a pdf page image gone: this cable fails
                result.status, result.error = "failed", _error_reason(exc)
                shutil.rmtree(folder, ignore_errors=True)
                continue
            written.append(result)
        if written:
            try:
                place(tree, self.out_dir / run.unit.out_name, self.tmp)
            except OSError as exc:
                for result in written:
                    result.status, result.error = "failed", _error_reason(exc)
        shutil.rmtree(staging, ignore_errors=True)
        self._record(run.unit.key, results)

    # ---- scheduling

    def _executor(self, pages: int) -> _Executor:
        if self.scheduler:
            return DaskExecutor(self.scheduler)
        return PoolExecutor(max(1, min(self.workers, pages)))

    def _submit(self, executor: _Executor, task: _Task) -> Any:
        run = task.run
        if not run.started:
            assert self.manifest is not None
            self.manifest.mark_running(run.unit.key)
            run.started = True
        return executor.submit(run_page, task.spec, self.config, self.page_fn)

    def _on_page(self, task: _Task, outcome: PageOutcome, queue: deque[_Task]) -> None:
        run = task.run
        run.seconds += outcome.seconds
        self._note_rss(outcome.pid, outcome.peak_rss_kb)
        if run.finished:
            return
        if outcome.page is None:
            self._fail_run(run, outcome.error)
            return
        run.pages[outcome.index] = outcome.page
        run.page_seconds[outcome.page.ref.source, outcome.page.ref.page_number] = outcome.seconds
        self.report.pages_read += 1
        if self.progress is not None:
            self.progress.advance(1)
        if len(run.pages) == len(run.specs):
            pages = [run.pages[i] for i in sorted(run.pages)]
            run.groups = _group_pages(run.unit, pages)
            for number in range(len(run.groups)):
                queue.append(_Task("assemble", run, group=number))

    def _note_rss(self, pid: int, kb: int) -> None:
        if kb:
            self.worker_rss_kb[pid] = max(self.worker_rss_kb.get(pid, 0), kb)

    def _on_assemble(self, task: _Task, outcome: AssembleOutcome) -> None:
        run = task.run
        if run.finished:
            return
        run.outcomes[task.group] = outcome
        if len(run.outcomes) == len(run.groups):
            self._finish_run(run)

    def _wait(
        self,
        executor: _Executor,
        in_flight: dict[Any, _Task],
        assembling: dict[Future[AssembleOutcome], _Task],
    ) -> tuple[set[Any], set[Future[AssembleOutcome]]]:
        """Finished page handles and finished assembly futures (at most ~0.5 s wait).

        A local pool's futures are waited on together with the assembly futures; a Dask
        cluster's handles cannot be, so both are polled in turn with short timeouts.
        """
        if not in_flight:
            done, _ = wait_futures(list(assembling), timeout=0.5, return_when=FIRST_COMPLETED)
            return set(), set(done)
        if not assembling:
            return executor.wait(list(in_flight), 0.5), set()
        if isinstance(executor, PoolExecutor):
            both = executor.wait([*in_flight, *assembling], 0.5)
            return {h for h in both if h in in_flight}, {h for h in both if h in assembling}
        pages = executor.wait(list(in_flight), 0.05)
        done, _ = wait_futures(
            list(assembling), timeout=0 if pages else 0.05, return_when=FIRST_COMPLETED
        )
        return pages, set(done)

    def _schedule(self, runs: list[_Run]) -> None:
        total = sum(len(r.specs) for r in runs)
        if self.progress is not None:
            self.progress.start(len(runs), total)
        if not runs:
            return
        pages: deque[_Task] = deque(_Task("page", r, s) for r in runs for s in r.specs)
        ready: deque[_Task] = deque()
        suspects: deque[_Task] = deque()
        in_flight: dict[Any, _Task] = {}
        assembling: dict[Future[AssembleOutcome], _Task] = {}
        assembler = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cable-ocr-assemble")
        warmed = False
        executor: _Executor | None = None
        try:
            executor = self._executor(total)
            local = isinstance(executor, PoolExecutor)
            limit = executor.capacity * IN_FLIGHT_PER_WORKER
            solo = False
            while pages or ready or suspects or in_flight or assembling:
                # The dictionaries load on a core the page workers leave free, or when a
                # cable needs them, whichever comes first; on a cluster, at once.
                if not warmed and (
                    ready or not local or idle_core(executor.capacity, len(in_flight), len(pages))
                ):
                    assembler.submit(warm_up, self.config)
                    warmed = True
                while ready:
                    task = ready.popleft()
                    if not task.run.finished:
                        group = task.run.groups[task.group][1]
                        assembling[assembler.submit(run_assemble, group, self.config)] = task
                crashed: list[_Task] = []
                broken = False
                if not solo:
                    while len(in_flight) < limit and pages:
                        task = pages.popleft()
                        if task.run.finished:
                            continue
                        try:
                            in_flight[self._submit(executor, task)] = task
                        except BrokenProcessPool:
                            pages.appendleft(task)
                            broken = True
                            break
                if not in_flight and suspects and not broken:
                    task = suspects.popleft()
                    if not task.run.finished:
                        in_flight[self._submit(executor, task)] = task
                        solo = True
                    continue
                if (in_flight or assembling) and not broken:
                    finished_pages, finished_cables = self._wait(executor, in_flight, assembling)
                    for future in finished_cables:
                        task = assembling.pop(future)
                        self._on_assemble(task, future.result())
                    for handle in finished_pages:
                        task = in_flight.pop(handle)
                        try:
                            outcome = handle.result()
                        except BrokenProcessPool:
                            crashed.append(task)
                            continue
                        except Exception as exc:  # noqa: BLE001 - lost worker, cancelled task
                            self._fail_run(task.run, f"{task.label()}: {_describe(exc)}")
                            continue
                        if isinstance(outcome, PageOutcome):
                            self._on_page(task, outcome, ready)
                if crashed or broken:
                    crashed.extend(in_flight.values())
                    in_flight.clear()
                    executor.restart()
                    for task in crashed:
                        if solo:
                            self._fail_run(
                                task.run,
                                f"{task.label()}: worker process crashed, also when run alone",
                            )
                        else:
                            suspects.append(task)
                    solo = False
                elif solo and not in_flight:
                    solo = False
        finally:
            assembler.shutdown(wait=False, cancel_futures=True)
            if executor is not None:
                executor.close()

    def run(self) -> BatchReport:
        """Plan, schedule, write the summary; see ``run_batch``."""
        started = time.perf_counter()
        with _locked(self.out_dir):
            shutil.rmtree(self.tmp, ignore_errors=True)
            try:
                self.tmp.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(
                    f"{self.out_dir}: cannot write to the output folder ({exc.strerror or exc})"
                ) from exc
            with Manifest(self.out_dir / MANIFEST_NAME) as manifest:
                self.manifest = manifest
                reset = manifest.reset_running()
                if reset:
                    self.report.notes.append(
                        f"{len(reset)} cable(s) left unfinished earlier: redone"
                    )
                try:
                    self._schedule(self._prepare(self._plan(manifest)))
                except KeyboardInterrupt:
                    manifest.reset_running()
                    self._write_summary(started)
                    raise
                self._write_summary(started)
            shutil.rmtree(self.tmp, ignore_errors=True)
        return self.report

    def _write_summary(self, started: float) -> None:
        self.report.wall_seconds = time.perf_counter() - started
        self.report.worker_peak_rss_kb = dict(self.worker_rss_kb)
        self.report.write()


@contextlib.contextmanager
def _interrupt_held() -> Iterator[None]:
    """Hold Ctrl-C until the block ends (main thread only), then raise it.

    A cable is recorded in the manifest and counted in the summary together, so an interrupt
    never leaves the summary short of a cable the manifest has finished.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
    if not caught:
        return
    if callable(previous):
        previous(signal.SIGINT, None)  # Python's default handler raises KeyboardInterrupt
    elif previous != signal.SIG_IGN:
        raise KeyboardInterrupt


def resolve_workers(workers: int | None, config: PipelineConfig) -> int:
    """Local worker processes: ``workers``, else ``[ocr] workers``; 0 means one per core.

    Raises:
        BadArgumentsError: the count is negative.
    """
    count = config.ocr.workers if workers is None else workers
    if count < 0:
        raise BadArgumentsError(f"--workers must be 0 (all cores) or more, got {count}")
    return count or default_workers()


def run_batch(
    archive_dir: Path,
    out_dir: Path,
    config: PipelineConfig | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    progress: BatchProgress | None = None,
    page_fn: PageFunction | None = None,
) -> BatchReport:
    """Transcribe every cable under ``archive_dir`` into a mirrored tree under ``out_dir``.

    Args:
        archive_dir: folder tree of PDFs, TIFFs, page-image folders and ``.txt`` transcripts.
        out_dir: output root; holds the manifest and batch-summary.json/csv.
        config: pipeline settings (``config.output.formats`` chooses the files written).
        workers: local worker processes (default ``config.ocr.workers``; 0 = one per core).
        scheduler: a Dask scheduler address (``tcp://host:8786``) to run pages on instead.
        force: redo every cable, even those already done with the same input and settings.
        progress: receives progress events.
        page_fn: reads one page (default ``pipeline.read.read_one``); a top-level function.

    Returns:
        The report; ``report.exit_code`` is 0, 6 (some failed) or 8 (all failed).

    Raises:
        InputError: ``archive_dir`` is not a folder, or holds no cable.
        OutputError: ``out_dir`` cannot be written, or another batch is writing to it.
        BadArgumentsError: ``workers`` < 0 or the scheduler cannot be reached.
        MissingDependencyError: an output format needs a library that is not installed.
        KeyboardInterrupt: after stopping the workers and writing the summary so far.
    """
    config = config or PipelineConfig()
    workers = resolve_workers(workers, config)
    check_formats(config.output.formats)
    if not archive_dir.is_dir():
        raise InputError(f"{archive_dir}: not a folder; give the archive folder to process")
    runner = BatchRunner(
        archive_dir,
        out_dir,
        config,
        workers=workers,
        scheduler=scheduler,
        force=force,
        progress=progress,
        page_fn=page_fn,
    )
    report = runner.run()
    if not report.results:
        raise InputError(
            f"{archive_dir}: no cables found (PDF, TIFF, page images or .txt transcripts)"
        )
    return report
