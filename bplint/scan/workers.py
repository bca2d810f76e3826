"""The per-file pass over many files: from the cache, in this process, or in worker processes.

Workers are forked after the project index is built, so each inherits the
index, the configuration and the files already read, and nothing large is
pickled on the way in; only each file's findings (and the facts it read, for
the cache) come back. Results are put back in path order, so the output is
the same byte for byte whatever the number of jobs.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterator

from bplint.config import Config
from bplint.discover.files import SourceFile
from bplint.discover.pyversion import PythonTarget
from bplint.project.index import ProjectIndex
from bplint.scan.cache import ScanCache
from bplint.scan.context import WORK

# progress(done, total, phase): phase is "indexing" (the project index) or "checking" (the rules)
Progress = Callable[[int, int, str], None]
# Below this many files to check, starting workers costs more than it saves.
PARALLEL_MIN_FILES = 40
CHUNK = 8
# Forked workers answer their first task within milliseconds; a pool that has
# not after this long cannot start its threads and is given up.
POOL_START_TIMEOUT = 20.0

_STATE: tuple[list[SourceFile], Config, ProjectIndex] | None = None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _check_one(file: SourceFile, config: Config, index: ProjectIndex):
    """(result, the index facts it read, what it took: WORK's counts for this file)."""
    from bplint.scan.engine import check_file

    before = WORK.copy()
    with index.reading() as reads:
        result = check_file(file, config, index)
    return result, set(reads), WORK - before


def _check_chunk(positions: list[int]):
    from bplint.scan.engine import run_with_deep_stack

    files, config, index = _STATE  # type: ignore[misc]
    return run_with_deep_stack(lambda: [(files[i].relpath, *_check_one(files[i], config, index)) for i in positions])


def run_file_pass(files: list[SourceFile], config: Config, index: ProjectIndex, jobs: int = 1,
                  cache: ScanCache | None = None, progress: Progress | None = None,
                  content_hashes: dict[str, str] | None = None, work: Counter | None = None) -> dict:
    """Check every file; returns relpath -> FileResult. ``work`` gets what the pass did
    (files served by the cache, parsed by libcst, with positions resolved)."""
    from bplint.scan.engine import run_with_deep_stack

    work = Counter() if work is None else work
    results: dict = {}
    todo: list[SourceFile] = []
    hashes = content_hashes or {}
    for file in files:
        cached = None
        if cache is not None and file.relpath in hashes:
            cached = cache.result(file.relpath, file.rootpath, hashes[file.relpath], index)
        if cached is not None:
            results[file.relpath] = cached
            work["checks_from_cache"] += 1
        else:
            todo.append(file)
    total, done = len(files), len(results)
    if progress is not None:
        progress(done, total, "checking")

    def keep(relpath: str, result, reads, took: Counter) -> None:
        nonlocal done
        results[relpath] = result
        work.update(took)
        if cache is not None and relpath in hashes:
            file = by_path[relpath]
            cache.store_result(relpath, file.rootpath, hashes[relpath], result, reads, index)
        done += 1
        if progress is not None:
            progress(done, total, "checking")

    by_path = {f.relpath: f for f in todo}
    if jobs > 1 and len(todo) >= PARALLEL_MIN_FILES and "fork" in multiprocessing.get_all_start_methods():
        remaining = _run_parallel(todo, config, index, jobs, keep)
    else:
        remaining = todo
    if remaining:
        def sequential() -> None:
            for file in remaining:
                keep(file.relpath, *_check_one(file, config, index))

        run_with_deep_stack(sequential)
    return results


def _run_parallel(todo: list[SourceFile], config: Config, index: ProjectIndex, jobs: int, keep) -> list[SourceFile]:
    """Check ``todo`` in worker processes; returns the files left unchecked if the pool broke."""
    global _STATE
    # Large files first, so that no worker is left alone with a big one at the end.
    order = sorted(range(len(todo)), key=lambda i: -_size(todo[i]))
    chunks = [order[i:i + CHUNK] for i in range(0, len(order), CHUNK)]
    _STATE = (todo, config, index)
    finished: set[str] = set()
    try:
        with worker_pool(min(jobs, len(chunks))) as pool:
            if pool is None:
                return todo
            for batch in _as_finished(pool, _check_chunk, chunks):
                for relpath, result, reads, took in batch:
                    finished.add(relpath)
                    keep(relpath, result, reads, took)
    except BrokenProcessPool:
        pass  # a worker died: the files it had are checked here, one by one
    finally:
        _STATE = None
    return [f for f in todo if f.relpath not in finished]


def _index_chunk(positions: list[int]):
    from bplint.scan.engine import index_python

    files, triggers, target, timeout = _INDEX_STATE  # type: ignore[misc]
    return [(files[i].relpath, index_python(files[i], triggers, target, timeout)) for i in positions]


_INDEX_STATE: tuple[list[SourceFile], dict, PythonTarget | None, float] | None = None


def index_files(files: list[SourceFile], triggers: dict, jobs: int, target: PythonTarget | None = None,
                timeout: float = 30.0, progress: Progress | None = None) -> dict:
    """relpath -> ModuleFacts for Python files, parsed in worker processes when it pays."""
    from bplint.scan.engine import index_python

    global _INDEX_STATE
    facts: dict = {}
    total = len(files)

    def tell() -> None:
        if progress is not None:
            progress(len(facts), total, "indexing")

    tell()
    if jobs > 1 and len(files) >= PARALLEL_MIN_FILES and "fork" in multiprocessing.get_all_start_methods():
        order = sorted(range(len(files)), key=lambda i: -_size(files[i]))
        chunks = [order[i:i + CHUNK * 2] for i in range(0, len(order), CHUNK * 2)]
        _INDEX_STATE = (files, triggers, target, timeout)
        try:
            with worker_pool(min(jobs, len(chunks))) as pool:
                for batch in _as_finished(pool, _index_chunk, chunks) if pool is not None else ():
                    facts.update(batch)
                    tell()
        except BrokenProcessPool:
            pass  # what is missing is parsed here
        finally:
            _INDEX_STATE = None
    for file in files:
        if file.relpath not in facts:
            facts[file.relpath] = index_python(file, triggers, target, timeout)
            tell()
    return facts


def _as_finished(pool: ProcessPoolExecutor, work: Callable, chunks: list) -> Iterator:
    """Each chunk's result as soon as a worker has it, whatever the order: progress moves while the
    largest files, given out first, are still being checked."""
    futures = [pool.submit(work, chunk) for chunk in chunks]
    for future in concurrent.futures.as_completed(futures):
        yield future.result()


@contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """A pool of up to ``jobs`` forked workers, all started before any work is given out.

    When the system refuses processes or threads (a process limit, no memory),
    fewer workers are tried, and None (work in this process) when not even two
    start. The workers of a pool that could not start are stopped at once:
    none is left behind holding the scan's output open.
    """
    pool = None
    while pool is None and jobs > 1:
        pool, started = _start_pool(jobs)
        jobs = min(jobs - 1, started - 1)
    if pool is None:
        yield None
        return
    with pool:
        yield pool


def _start_pool(jobs: int) -> tuple[ProcessPoolExecutor | None, int]:
    """A started pool of ``jobs`` workers, or None and how many workers had started."""
    before = set(multiprocessing.active_children())
    pool = None
    try:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))
        # with fork, the first task starts every worker, the manager thread and the queue's feeder
        pool.submit(int).result(timeout=POOL_START_TIMEOUT)
        return pool, jobs
    except (OSError, RuntimeError, BrokenProcessPool, concurrent.futures.TimeoutError):
        strays = [p for p in multiprocessing.active_children() if p not in before]
        for process in strays:
            process.terminate()
        for process in strays:
            process.join(5)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        return None, len(strays)


def _size(file: SourceFile) -> int:
    try:
        return len(file.read_bytes())
    except OSError:
        return 0
