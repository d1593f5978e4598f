"""Shared test helpers: an in-memory exporter and a stand-in collector HTTP server."""

import http.server
import json
import os
import socketserver
import sys
import threading
from typing import Any, Dict, Iterator, List, Optional

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from agenttrace import AgentTrace  # noqa: E402
from agenttrace.exporters import Exporter  # noqa: E402

SUMMARY_ANSWER = {
    "summary": {
        "session_id": "s-1",
        "name": "run",
        "start_time_unix_nano": "1700000000000000000",  # protojson writes int64 as strings
        "end_time_unix_nano": "1700000002000000000",
        "duration_ms": "2000",
        "span_count": "3",
        "trace_count": "1",
        "llm_calls": "1",
        "tokens": {"input_tokens": "10", "output_tokens": "4"},
        "total_tokens": "14",
        "cost_usd": 0.0021,
    }
}


class MemoryExporter(Exporter):
    """Keeps every batch and session call in memory."""

    def __init__(self) -> None:
        self.batches: List[List[Dict[str, Any]]] = []
        self.sessions: List[Any] = []
        self.summary: Optional[Dict[str, Any]] = None
        self.lock = threading.Lock()

    def export(self, spans: List[Dict[str, Any]]) -> int:
        with self.lock:
            self.batches.append(spans)
        return len(spans)

    def start_session(self, request: Dict[str, Any]) -> None:
        self.sessions.append(("start", request))

    def end_session(self, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        self.sessions.append(("end", request))
        return self.summary

    @property
    def records(self) -> List[Dict[str, Any]]:
        with self.lock:
            return [s for batch in self.batches for s in batch]

    def finished(self) -> List[Dict[str, Any]]:
        """Final records only (no RUNNING span-start copies)."""
        return [r for r in self.records if r["status"] != "SPAN_STATUS_RUNNING"]

    def by_name(self, name: str) -> Dict[str, Any]:
        return next(r for r in self.finished() if r["name"] == name)


@pytest.fixture
def memory() -> Iterator[MemoryExporter]:
    yield MemoryExporter()


@pytest.fixture
def client(memory: MemoryExporter) -> Iterator[AgentTrace]:
    c = AgentTrace(exporter=memory, service_name="test", schedule_delay=0.05)
    yield c
    c.shutdown(timeout=2)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        payload = json.loads(body)
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "json": payload})
        if self.path == "/v1/spans":
            answer: Dict[str, Any] = {"accepted": str(len(payload["spans"]))}
            if self.server.reject_first:
                answer = {"accepted": str(len(payload["spans"]) - 1), "rejected": "1",
                          "errors": [{"index": 0, "field": "trace_id", "message": "bad"}]}
        elif self.path == "/v1/sessions/end":
            answer = SUMMARY_ANSWER
        else:
            answer = {"session_id": payload.get("session_id", "")}
        data = json.dumps(answer).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class _Recording:
    requests: List[Dict[str, Any]]
    status = 200
    reject_first = False

    def spans(self) -> List[Dict[str, Any]]:
        return [s for r in self.requests if r["path"] == "/v1/spans" for s in r["json"]["spans"]]


class FakeCollectorTCP(_Recording, socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class FakeCollectorUnix(_Recording, socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self) -> Any:
        conn, _ = super().get_request()
        return conn, ("unix", 0)  # BaseHTTPRequestHandler expects a (host, port) address


def _serve(server: Any) -> Iterator[Any]:
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_collector() -> Iterator[FakeCollectorTCP]:
    """A stand-in for the collector's native HTTP API on a free localhost port."""
    yield from _serve(FakeCollectorTCP(("127.0.0.1", 0), _Handler))


@pytest.fixture
def fake_unix_collector(tmp_path: Any) -> Iterator[FakeCollectorUnix]:
    """The same stand-in on a unix socket (``server.server_address`` is the path)."""
    yield from _serve(FakeCollectorUnix(str(tmp_path / "at.sock"), _Handler))
