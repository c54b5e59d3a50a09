"""Run batches of work in forked worker processes of a ``ckan`` command.

CKAN's dataset machinery (validation, dictization) is pure Python and holds the GIL, so
a bulk job uses the machine's cores through processes. The workers are forked from the
command once CKAN is loaded, with no database connection to share: each opens its own.
What is loaded by then is frozen out of the garbage collector (it stays shared between
the workers, and the collector no longer walks it), and the workers collect less often:
a batch makes many short-lived objects, and collecting them every 700 allocations costs
about a tenth of the time.
"""
from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.pool
from typing import Callable, Iterator, Sequence, TypeVar

import ckan.model as model

Batch = TypeVar("Batch", bound=Sequence)


def run_batches(work: Callable[[Batch], str | None], batches: list[Batch], workers: int,
                progress: Callable[[int], None]) -> Iterator[str]:
    """Call ``work`` on each batch (a picklable module-level function); report each
    batch's size to ``progress`` as it ends and yield the failures ``work`` returns."""
    workers = min(workers, len(batches))
    if workers <= 1:
        for batch in batches:
            failure = work(batch)
            progress(len(batch))
            if failure:
                yield failure
        return
    model.Session.remove()
    model.meta.engine.dispose()  # no connection may be shared with the workers
    gc.collect()
    gc.freeze()
    try:
        with pool_of(workers, initializer=_worker_started) as pool:
            for size, failure in pool.imap_unordered(_Sized(work), batches):
                progress(size)
                if failure:
                    yield failure
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def pool_of(workers: int, initializer: Callable | None = None
            ) -> Iterator[multiprocessing.pool.Pool]:
    """Forked worker processes that end the normal way once their work is done (closed and
    joined: each takes the queue's end mark and exits). Only on an error are they terminated:
    ``Pool``'s own ``with`` terminates them always, by a signal a worker blocked on the
    queue's lock may never act on, and the caller then waits for it for ever."""
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=initializer)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()


WORKER_GC_THRESHOLD = 50_000  # allocations between young collections (Python's is 700)


def _worker_started() -> None:
    gc.set_threshold(WORKER_GC_THRESHOLD, 50, 100)


class _Sized:
    def __init__(self, work: Callable):
        self.work = work

    def __call__(self, batch: Sequence) -> tuple[int, str | None]:
        return len(batch), self.work(batch)
