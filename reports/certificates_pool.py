"""Large certificate batches split over the machine's cores.

A batch of many pages is cut into contiguous page ranges; each range is laid out and written
to PDF by a worker of one long-lived process pool (``forkserver``: clean workers forked from a
process that imported WeasyPrint once; each worker parses the bundled fonts once and removes
their temporary copies when it stops), and the parent joins the range PDFs in order with
pypdf. The pages, their text and sizes are those of the one-process path; each range embeds
its own font subsets. A failing or killed worker
raises in the caller (the pool is then dropped and made anew on the next batch), so a print
transaction around it rolls back: nothing printed, no register number used.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .certificates import Layout, Mode, Page

__all__ = ["RenderFailed", "cores", "render_parallel", "shutdown"]


class RenderFailed(RuntimeError):
    """A worker process died while laying pages out: the batch produced nothing."""

    def __init__(self) -> None:
        super().__init__("Tiến trình dựng trang PDF bị dừng giữa chừng: chưa in gì, chưa dùng "
                         "số sổ vàng nào; hãy in lại lô này")

_lock = threading.Lock()
_pool: tuple[int, ProcessPoolExecutor] | None = None


def cores() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _warm() -> None:
    from multiprocessing.util import Finalize

    from .pdf import close_fonts, html_to_pdf

    html_to_pdf("<p>khởi động</p>")  # fonts parsed once per worker
    # A worker leaves by os._exit, past atexit: multiprocessing's own exit hook closes them.
    Finalize(None, close_fonts, exitpriority=10)


def _executor(workers: int) -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None or _pool[0] != workers:
            if _pool is not None:
                _pool[1].shutdown(wait=False, cancel_futures=True)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["weasyprint", "reports.certificates"])
            _pool = (workers, ProcessPoolExecutor(workers, mp_context=context, initializer=_warm))
        return _pool[1]


def shutdown() -> None:
    """Stop the pool's workers (a new pool is made by the next batch)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool[1].shutdown(wait=True, cancel_futures=True)
            _pool = None


def _range_pdf(pages: Sequence[Page], layout: Layout, mode: Mode, chunk: int) -> bytes:
    from .certificates import pages_pdf

    return pages_pdf(pages, layout, mode, chunk=chunk)


def render_parallel(pages: Sequence[Page], layout: Layout, mode: Mode, workers: int,
                    progress: Callable[[int], None] | None = None, chunk: int = 100) -> bytes:
    """One PDF of ``pages`` (already checked) laid out by ``workers`` processes; ``progress``
    after each range, in order."""
    from pypdf import PdfWriter

    size = max(1, -(-len(pages) // (workers * 2)))  # two ranges a worker: finer progress
    ranges = [pages[i:i + size] for i in range(0, len(pages), size)]
    pool = _executor(workers)
    futures: list[Future[bytes]] = []
    writer, done = PdfWriter(), 0
    try:
        futures += [pool.submit(_range_pdf, r, layout, mode, chunk) for r in ranges]
        for part, future in zip(ranges, futures, strict=True):
            writer.append(io.BytesIO(future.result()))
            done += len(part)
            if progress:
                progress(done)
    except BrokenProcessPool as exc:
        _drop(pool)
        raise RenderFailed() from exc
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _drop(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is not None and _pool[1] is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)
