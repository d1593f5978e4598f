"""Batching on a background thread, with a bounded queue that never blocks the caller."""

import collections
import os
import threading
import time
import weakref
from typing import Any, Callable, Deque, Dict, List, Optional

from ._log import WarnOnce, logger
from .exporters.base import Exporter


class BatchProcessor:
    """Queues span records and exports them in batches from a daemon thread.

    :meth:`enqueue` only appends to a deque: when ``max_queue_size`` records
    are waiting, the record is dropped and counted. The worker exports every
    ``schedule_delay`` seconds, or sooner when a batch is full or a flush is
    asked for. Export failures are counted as ``failed``, never raised.
    Session calls (:meth:`submit`) run on the worker before the next export.
    """

    def __init__(self, exporter: Exporter, max_queue_size: int = 4096, max_batch_size: int = 256,
                 schedule_delay: float = 0.2, warn: Optional[WarnOnce] = None) -> None:
        self._exporter = exporter
        self._max_queue_size = max_queue_size
        self._max_batch_size = max_batch_size
        self._schedule_delay = schedule_delay
        self._warn = warn or WarnOnce()
        self._lock = threading.Lock()
        self._sent = 0
        self._dropped = 0
        self._failed = 0
        self._start_worker()
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _restart_after_fork(ref))

    def _start_worker(self) -> None:
        self._queue: Deque[Dict[str, Any]] = collections.deque()
        self._tasks: Deque[Callable[[], None]] = collections.deque()
        self._flush_waiters: List[threading.Event] = []
        self._wake = threading.Event()
        self._stopping = False
        self._worker = threading.Thread(target=self._run, name="agenttrace-exporter", daemon=True)
        self._worker.start()

    @property
    def exporter(self) -> Exporter:
        """The exporter batches go to."""
        return self._exporter

    # -- caller side ------------------------------------------------------------

    def enqueue(self, record: Dict[str, Any]) -> None:
        """Queue a span record, or drop and count it when the queue is full."""
        queue = self._queue
        if len(queue) >= self._max_queue_size or self._stopping:
            with self._lock:
                self._dropped += 1
            self._warn("queue_full", "agenttrace: export queue full (%d), dropping spans; "
                       "see client.stats()", self._max_queue_size)
            return
        queue.append(record)
        if len(queue) >= self._max_batch_size:
            self._wake.set()

    def submit(self, task: Callable[[], None]) -> None:
        """Run ``task`` on the worker thread before its next export (errors are logged)."""
        self._tasks.append(task)
        self._wake.set()

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Export everything queued so far; False if ``timeout`` seconds passed first."""
        if not self._worker.is_alive():
            return not self._queue
        done = threading.Event()
        with self._lock:
            self._flush_waiters.append(done)
        self._wake.set()
        return done.wait(timeout)

    def shutdown(self, timeout: Optional[float] = None) -> None:
        """Flush, stop the worker and release the exporter, within ``timeout`` seconds
        in all (the worker is a daemon thread: what is left dies with the process).
        Later records are dropped."""
        if self._stopping:
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        self.flush(timeout)
        self._stopping = True
        self._wake.set()
        self._worker.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        try:
            self._exporter.shutdown()
        except Exception as exc:  # never raise into the agent
            logger.debug("agenttrace: exporter shutdown failed: %s", exc)

    def stats(self) -> Dict[str, int]:
        """Counts of span records: sent, dropped (queue full), failed (export errors), queued."""
        with self._lock:
            return {"sent": self._sent, "dropped": self._dropped, "failed": self._failed,
                    "queued": len(self._queue)}

    # -- worker side --------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self._schedule_delay)
            self._wake.clear()
            with self._lock:
                waiters, self._flush_waiters = self._flush_waiters, []
            self._run_tasks()
            self._drain()
            for waiter in waiters:
                waiter.set()
            if self._stopping:
                self._run_tasks()
                self._drain()
                return

    def _run_tasks(self) -> None:
        while self._tasks:
            task = self._tasks.popleft()
            try:
                task()
            except Exception as exc:
                self._warn("delivery", "agenttrace: session call failed: %s", exc)

    def _drain(self) -> None:
        queue = self._queue
        while queue:
            batch = [queue.popleft() for _ in range(min(len(queue), self._max_batch_size))]
            try:
                sent = self._exporter.export(batch)
            except Exception as exc:
                sent = 0
                self._warn("delivery", "agenttrace: export failed, spans dropped: %s", exc)
            with self._lock:
                self._sent += sent
                self._failed += len(batch) - sent


def _restart_after_fork(ref: "weakref.ReferenceType[BatchProcessor]") -> None:
    """In a forked child the worker thread is gone and connections are shared
    with the parent: drop them and start a fresh worker."""
    processor = ref()
    if processor is not None and not processor._stopping:
        processor._lock = threading.Lock()
        try:
            processor._exporter.shutdown()
        except Exception as exc:
            logger.debug("agenttrace: exporter reset after fork failed: %s", exc)
        processor._start_worker()
