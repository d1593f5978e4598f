"""SDK overhead per span on the caller's thread.

Times ``with client.start_span(...)`` (start, RUNNING copy enqueued, end, final
record enqueued) while the background thread exports concurrently, for a few
exporter set-ups. Two numbers per row, in microseconds per span:

- caller CPU: CPU time of the calling thread (``time.thread_time``), i.e. the
  work the SDK does on the agent's thread;
- wall: elapsed time of a tight loop of spans. It also includes waiting for
  the GIL while the export thread serializes (pure-Python JSON/protobuf), so
  it is the worst case of an agent that does nothing but create spans.

The queue is sized so nothing is dropped (a drop is cheaper than an enqueue
and would flatter the numbers). Each row is the best of three runs.

    /usr/bin/python3 sdk/python/bench/overhead.py [spans]
"""

import http.server
import os
import socket
import threading
import sys
import time
from typing import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from agenttrace import AgentTrace  # noqa: E402
from agenttrace.exporters import Exporter  # noqa: E402


class NullExporter(Exporter):
    """Takes every batch and does nothing: the pure SDK cost."""

    def export(self, spans):
        return len(spans)


def plain(client: AgentTrace) -> None:
    with client.start_span("step", span_type="tool_execution"):
        pass


def llm_like(client: AgentTrace) -> None:
    with client.start_span("chat", span_type="llm_call", model="claude-sonnet-4", provider="anthropic") as span:
        span.set_request(temperature=0.2, max_tokens=512)
        span.set_token_usage(input_tokens=420, output_tokens=38, cache_read_tokens=1800)
        span.set_attribute("gen_ai.response.id", "msg_01")


def measure(label: str, make_client: Callable[[], AgentTrace], body: Callable[[AgentTrace], None],
            spans: int, repeat: int = 3) -> None:
    """Print the best of ``repeat`` runs (caller CPU and wall, us per span)."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        client = make_client()
        for _ in range(1000):  # warm up
            body(client)
        client.flush(30)
        start, start_cpu = time.perf_counter(), time.thread_time()
        for _ in range(spans):
            body(client)
        elapsed, cpu = time.perf_counter() - start, time.thread_time() - start_cpu
        client.flush(60)
        stats = client.stats()
        client.shutdown(10)
        assert stats["dropped"] == 0 and stats["failed"] == 0, stats
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, elapsed)
    print("%-46s %6.2f %9.2f" % (label, best_cpu / spans * 1e6, best_wall / spans * 1e6))


def _start_http_sink() -> str:
    """A local HTTP server that accepts every batch, on a free port; returns host:port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return "127.0.0.1:%d" % server.server_address[1]


def main() -> None:
    spans = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    queue = 2 * (spans + 1000) + 10
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a UDP port that is bound but never read
    sink.bind(("127.0.0.1", 0))
    udp_addr = "127.0.0.1:%d" % sink.getsockname()[1]
    http_addr = _start_http_sink()
    print("Python %s, %d spans per run\n" % (sys.version.split()[0], spans))
    setups = (
        ("  disabled client (API floor)", lambda: AgentTrace(disabled=True)),
        ("  null exporter", lambda: AgentTrace(exporter=NullExporter(), max_queue_size=queue)),
        ("  null exporter, no span-start events",
         lambda: AgentTrace(exporter=NullExporter(), max_queue_size=queue, send_span_start=False)),
        ("  udp exporter (protobuf on the worker)",
         lambda: AgentTrace(exporter="udp", udp_addr=udp_addr, max_queue_size=queue)),
        ("  http exporter (JSON on the worker)",
         lambda: AgentTrace(endpoint="http://" + http_addr, max_queue_size=queue)),
    )
    for name, body in (("plain span", plain), ("LLM-like span (model, request, tokens, attr)", llm_like)):
        print("%-46s %6s %9s" % (name, "caller CPU", "wall"))
        for label, make_client in setups:
            measure(label, make_client, body, spans)
        print()
    sink.close()


if __name__ == "__main__":
    main()
