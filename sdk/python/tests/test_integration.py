"""End to end against the real collector: SDK -> agenttrace-collector -> SQLite.

Needs the collector binary (``make build`` writes ``bin/agenttrace-collector``):
set ``AGENTTRACE_COLLECTOR_BIN`` to its path. Without it the tests are skipped,
except in CI (``CI=true``), where a missing binary is a failure.

The collector runs on free ports with a temporary config and database; the
example agent (examples/agent.py) runs once through each exporter (http, udp,
unix) and the rows it left in the ``spans``, ``traces`` and ``sessions``
tables (migrations/sqlite/) are checked with the standard library's sqlite3.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from typing import Any, Dict, Iterator, List

import pytest

import agenttrace

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import agent as example_agent  # noqa: E402

CONFIG_TEMPLATE = """\
receivers:
  agenttrace:
    grpc:
      endpoint: 127.0.0.1:{grpc_port}
    http:
      endpoint: 127.0.0.1:{http_port}
    udp:
      endpoint: 127.0.0.1:{udp_port}
    unix:
      path: {socket_path}

exporters:
  sqlite:
    path: {db_path}

service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [agenttrace]
      exporters: [sqlite]
"""

# The example agent: one task span holding two LLM calls and one tool call.
EXPECTED_SPANS = 4
EXPECTED_TOKENS = {"tokens_input": 515, "tokens_output": 62, "tokens_cache_read": 4058}


def collector_binary() -> str:
    path = os.environ.get("AGENTTRACE_COLLECTOR_BIN", "")
    if path:
        assert os.access(path, os.X_OK), "AGENTTRACE_COLLECTOR_BIN=%s is not an executable" % path
        return path
    message = "AGENTTRACE_COLLECTOR_BIN is not set (run `make build`, then point it at bin/agenttrace-collector)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + ": integration tests must run in CI")
    pytest.skip(message)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def collector(tmp_path_factory: Any) -> Iterator[Dict[str, Any]]:
    binary = collector_binary()
    workdir = tmp_path_factory.mktemp("collector")
    settings = {
        "grpc_port": free_port(socket.SOCK_STREAM),
        "http_port": free_port(socket.SOCK_STREAM),
        "udp_port": free_port(socket.SOCK_DGRAM),
        "socket_path": str(workdir / "agenttrace.sock"),
        "db_path": str(workdir / "agenttrace.db"),
    }
    config = workdir / "config.yaml"
    config.write_text(CONFIG_TEMPLATE.format(**settings))
    log = open(workdir / "collector.log", "wb")
    process = subprocess.Popen([binary, "--config", str(config)], stdout=log, stderr=subprocess.STDOUT,
                               cwd=str(workdir))
    endpoint = "http://127.0.0.1:%d" % settings["http_port"]
    try:
        wait_healthy(endpoint, process, workdir / "collector.log")
        yield dict(settings, endpoint=endpoint, log=workdir / "collector.log")
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def wait_healthy(endpoint: str, process: "subprocess.Popen[bytes]", log_path: Any) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail("collector exited with %s:\n%s" % (process.returncode, log_path.read_text()[-3000:]))
        try:
            with urllib.request.urlopen(endpoint + "/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail("collector not healthy after 30 s:\n%s" % log_path.read_text()[-3000:])


def query(db_path: str, sql: str, *args: Any) -> List[sqlite3.Row]:
    conn = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def wait_rows(db_path: str, sql: str, args: tuple, predicate: Any, timeout: float = 20) -> List[sqlite3.Row]:
    """Poll until ``predicate(rows)`` holds: the collector writes through a queue."""
    deadline = time.time() + timeout
    rows: List[sqlite3.Row] = []
    while time.time() < deadline:
        try:
            rows = query(db_path, sql, *args)
        except sqlite3.OperationalError:  # file or tables not created yet
            rows = []
        if predicate(rows):
            return rows
        time.sleep(0.2)
    return rows


@pytest.mark.parametrize("exporter", ["http", "udp", "unix"])
def test_agent_run_reaches_the_store(collector: Dict[str, Any], exporter: str) -> None:
    client = agenttrace.init(
        exporter=exporter,
        endpoint=collector["endpoint"],
        udp_addr="127.0.0.1:%d" % collector["udp_port"],
        socket_path=collector["socket_path"],
        service_name="integration-" + exporter,
    )
    try:
        summary = example_agent.run_agent()
        assert client.flush(10)
        stats = client.stats()
    finally:
        agenttrace.shutdown()
    assert stats["dropped"] == 0 and stats["failed"] == 0, stats

    # the collector's own summary came back
    assert summary["source"] == "collector", summary
    session_id = summary["session_id"]
    if exporter != "udp":
        # Over UDP the EndSession request (HTTP) can overtake the datagrams still waiting in the
        # collector's socket, so the summary may not count them yet; the store below is checked anyway.
        assert (summary["span_count"], summary["llm_calls"], summary["tool_calls"]) == (EXPECTED_SPANS, 2, 1)
        assert summary["tokens"]["input_tokens"] == EXPECTED_TOKENS["tokens_input"]

    db = collector["db_path"]
    spans = wait_rows(db, "SELECT * FROM spans WHERE session_id = ?", (session_id,),
                      lambda rows: len(rows) == EXPECTED_SPANS and all(r["status"] != "running" for r in rows))
    assert len(spans) == EXPECTED_SPANS, "spans stored: %s\n%s" % (
        [dict(r) for r in spans], collector["log"].read_text()[-2000:])
    assert {r["type"] for r in spans} == {"task", "llm_call", "tool_execution"}
    assert all(r["status"] == "ok" and r["end_ns"] > r["start_ns"] for r in spans)
    assert len({r["trace_id"] for r in spans}) == 1
    llm = [r for r in spans if r["type"] == "llm_call"]
    assert {r["model"] for r in llm} == {"claude-sonnet-4-20250514"}
    for column, total in EXPECTED_TOKENS.items():
        assert sum(r[column] for r in spans) == total, column
    tool = next(r for r in spans if r["type"] == "tool_execution")
    assert tool["tool_name"] == "get_weather" and tool["tool_call_id"] == "toolu_01" and tool["tool_success"] == 1
    assert all(r["service_name"] == "integration-" + exporter for r in spans)

    sessions = wait_rows(db, "SELECT * FROM sessions WHERE session_id = ?", (session_id,),
                         lambda rows: rows and rows[0]["span_count"] == EXPECTED_SPANS)
    assert sessions, "no session row"
    session = sessions[0]
    assert session["name"] == "weather-agent" and session["framework"] == "example"
    assert (session["llm_calls"], session["tool_calls"], session["trace_count"]) == (2, 1, 1)
    for column, total in EXPECTED_TOKENS.items():
        assert session[column] == total, column

    traces = query(db, "SELECT * FROM traces WHERE trace_id = ?", spans[0]["trace_id"])
    assert traces and traces[0]["span_count"] == EXPECTED_SPANS and traces[0]["root_name"] == "answer question"


AUTH_CONFIG_TEMPLATE = """\
extensions:
  agenttraceauth:
    keys:
      - key: {key}
        project: team-a
receivers:
  agenttrace:
    http:
      endpoint: 127.0.0.1:{http_port}
      auth:
        authenticator: agenttraceauth
    udp:
      endpoint: 127.0.0.1:{udp_port}
      auth:
        authenticator: agenttraceauth
    grpc:
      enabled: false

exporters:
  sqlite:
    path: {db_path}

service:
  extensions: [agenttraceauth]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [agenttrace]
      exporters: [sqlite]
"""

INGEST_KEY = "python-sdk-ingest-key-0001"


@pytest.fixture(scope="module")
def auth_collector(tmp_path_factory: Any) -> Iterator[Dict[str, Any]]:
    binary = collector_binary()
    workdir = tmp_path_factory.mktemp("auth-collector")
    settings = {
        "http_port": free_port(socket.SOCK_STREAM),
        "udp_port": free_port(socket.SOCK_DGRAM),
        "db_path": str(workdir / "agenttrace.db"),
        "key": INGEST_KEY,
    }
    config = workdir / "config.yaml"
    config.write_text(AUTH_CONFIG_TEMPLATE.format(**settings))
    log = open(workdir / "collector.log", "wb")
    process = subprocess.Popen([binary, "--config", str(config)], stdout=log, stderr=subprocess.STDOUT,
                               cwd=str(workdir))
    endpoint = "http://127.0.0.1:%d" % settings["http_port"]
    try:
        wait_healthy(endpoint, process, workdir / "collector.log")
        yield dict(settings, endpoint=endpoint, log=workdir / "collector.log")
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


@pytest.mark.parametrize("exporter", ["http", "udp"])
def test_api_key_stores_spans_under_the_keys_project(auth_collector: Dict[str, Any], exporter: str,
                                                     monkeypatch: Any) -> None:
    def run(service: str, **key: str) -> Dict[str, Any]:
        client = agenttrace.init(exporter=exporter, endpoint=auth_collector["endpoint"],
                                 udp_addr="127.0.0.1:%d" % auth_collector["udp_port"], service_name=service, **key)
        try:
            with client.start_span("step", span_type="task"):
                pass
            client.flush(10)
            return client.stats()
        finally:
            agenttrace.shutdown()

    monkeypatch.delenv("AGENTTRACE_API_KEY", raising=False)
    anon = run("anon-" + exporter)
    if exporter == "http":
        assert anon["failed"] > 0, anon  # 401: refused, counted, never raised
    monkeypatch.setenv("AGENTTRACE_API_KEY", INGEST_KEY)  # the environment variable
    run("env-" + exporter)
    monkeypatch.delenv("AGENTTRACE_API_KEY")
    run("option-" + exporter, api_key=INGEST_KEY)  # the option

    db = auth_collector["db_path"]
    for service in ("env-" + exporter, "option-" + exporter):
        rows = wait_rows(db, "SELECT resource FROM spans WHERE service_name = ?", (service,),
                         lambda rows: len(rows) >= 1)
        assert rows, "no span of %s stored:\n%s" % (service, auth_collector["log"].read_text()[-2000:])
        assert all('"agenttrace.project":"team-a"' in r["resource"] for r in rows), [dict(r) for r in rows]
    assert query(db, "SELECT count(*) AS n FROM spans WHERE service_name = ?", "anon-" + exporter)[0]["n"] == 0
    assert INGEST_KEY not in auth_collector["log"].read_text()
