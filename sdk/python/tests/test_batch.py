"""Batching, the bounded queue, and what happens when the collector is away."""

import logging
import os
import socket
import threading
import time
import warnings

import pytest

from agenttrace import AgentTrace
from agenttrace.exporters import Exporter


def closed_port() -> int:
    """A localhost TCP port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_spans(client: AgentTrace, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        with client.start_span("s", span_type="tool_execution") as span:
            span.set_attribute("i", i)
    return time.perf_counter() - start


def test_closed_port_never_blocks_and_counts_everything(caplog):
    caplog.set_level(logging.WARNING, logger="agenttrace")
    client = AgentTrace(endpoint="http://127.0.0.1:%d" % closed_port(), max_queue_size=1000)
    elapsed = run_spans(client, 10_000)
    assert elapsed < 5.0, "10,000 spans took %.2fs" % elapsed  # about 0.2 s on an idle 2-core machine
    client.flush(5)
    stats = client.stats()
    assert stats["sent"] == 0 and stats["queued"] == 0
    assert stats["dropped"] + stats["failed"] == 20_000  # each span: start event + final record
    export_warnings = [r for r in caplog.records if "export failed" in r.getMessage()]
    assert len(export_warnings) == 1 and export_warnings[0].levelno == logging.WARNING
    client.shutdown(1)


def test_full_queue_drops_and_counts_deterministically(caplog):
    caplog.set_level(logging.WARNING, logger="agenttrace")
    # batch size above queue size and a long delay: the worker never drains during the loop
    client = AgentTrace(endpoint="http://127.0.0.1:%d" % closed_port(), max_queue_size=100,
                        max_batch_size=500, schedule_delay=60)
    elapsed = run_spans(client, 10_000)
    assert elapsed < 5.0
    assert client.stats() == {"sent": 0, "dropped": 19_900, "failed": 0, "queued": 100}
    assert client.flush(5)
    assert client.stats() == {"sent": 0, "dropped": 19_900, "failed": 100, "queued": 0}
    full = [r for r in caplog.records if "queue full" in r.getMessage()]
    assert len(full) == 1, "the warning is logged once"
    client.shutdown(1)


class SlowExporter(Exporter):
    """A collector that hangs: an export takes 30 s unless released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.exported = 0

    def export(self, spans):
        self.release.wait(30)
        self.exported += len(spans)
        return len(spans)


def test_hanging_exporter_does_not_block_the_caller():
    exporter = SlowExporter()
    client = AgentTrace(exporter=exporter, max_queue_size=500, max_batch_size=100)
    elapsed = run_spans(client, 10_000)
    assert elapsed < 5.0, "the caller waited for the hanging export"
    assert client.stats()["dropped"] > 10_000
    assert client.flush(0.05) is False  # timed out, but returned
    exporter.release.set()
    assert client.flush(5)
    stats = client.stats()
    assert stats["sent"] + stats["dropped"] == 20_000 and stats["failed"] == 0
    client.shutdown(1)


class FlakyExporter(Exporter):
    def __init__(self) -> None:
        self.calls = 0

    def export(self, spans):
        self.calls += 1
        if self.calls % 2:
            raise OSError("collector restarting")
        return len(spans) - 1  # the collector rejected one

    def start_session(self, request):
        raise ConnectionRefusedError("no")

    def end_session(self, request):
        raise ConnectionRefusedError("no")

    def shutdown(self):
        raise RuntimeError("even this fails")


def test_exporter_failures_are_counted_never_raised():
    client = AgentTrace(exporter=FlakyExporter(), send_span_start=False, schedule_delay=60)
    client.start_session("s")
    client.flush(2)  # runs the (failing) session call now, so each later flush exports one batch
    for _ in range(10):
        client.start_span("a").end()
    client.flush(2)
    for _ in range(10):
        client.start_span("b").end()
    client.flush(2)
    summary = client.end_session()
    assert summary["source"] == "sdk" and summary["span_count"] == 20
    assert client.stats() == {"sent": 9, "dropped": 0, "failed": 11, "queued": 0}
    client.shutdown(1)


def test_batches_respect_max_batch_size(memory):
    client = AgentTrace(exporter=memory, max_batch_size=7, send_span_start=False)
    for _ in range(50):
        client.start_span("x").end()
    client.flush(2)
    assert max(len(b) for b in memory.batches) <= 7 and len(memory.records) == 50
    client.shutdown(1)


def test_spans_after_shutdown_are_dropped(memory):
    client = AgentTrace(exporter=memory)
    client.start_span("before").end()
    client.shutdown(2)
    client.start_span("after").end()
    assert [r["name"] for r in memory.finished()] == ["before"]
    assert client.stats()["dropped"] == 2
    client.shutdown(1)  # idempotent


def test_schedule_delay_exports_without_flush(memory):
    client = AgentTrace(exporter=memory, schedule_delay=0.05)
    client.start_span("x").end()
    deadline = time.time() + 2
    while len(memory.records) < 2 and time.time() < deadline:
        time.sleep(0.01)
    assert len(memory.records) == 2
    client.shutdown(1)


def test_shutdown_is_bounded_by_its_timeout():
    exporter = SlowExporter()
    client = AgentTrace(exporter=exporter)
    client.start_span("x").end()
    start = time.perf_counter()
    client.shutdown(0.3)
    assert time.perf_counter() - start < 1.0
    exporter.release.set()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_exports_and_gets_its_own_ids(memory):
    client = AgentTrace(exporter=memory)
    client.start_span("parent").end()
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork of a multi-threaded process
        pid = os.fork()
    if pid == 0:  # child: a fresh worker thread and a fresh id pool
        try:
            span = client.start_span("child")
            span.end()
            ok = client.flush(2) and client.stats()["sent"] == 2
            os.write(write_end, ("%s %s\n" % (span.trace_id, "ok" if ok else "fail")).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    child_trace_id, verdict = os.read(read_end, 100).decode().split()
    os.waitpid(pid, 0)
    os.close(read_end)
    assert verdict == "ok"
    assert child_trace_id != client.start_span("after-fork").trace_id
    client.shutdown(1)
