"""HTTP, unix-socket and UDP exporters against local test servers."""

import os
import socket
import warnings

import pytest

import wire_decoder as wd
from agenttrace import AgentTrace
from agenttrace.exporters import UDPExporter
from agenttrace.exporters.udp import MAX_DATAGRAM_BYTES


def agent_run(client: AgentTrace) -> dict:
    session = client.start_session("run", framework="test", tags=["ci"])
    with client.start_span("task", span_type="task"):
        with client.start_span("chat", span_type="llm_call") as llm:
            llm.set_model("gpt-4o-mini", "openai").set_token_usage(input_tokens=10, output_tokens=4)
            llm.set_request(temperature=0.5).set_attribute("k", [1, 2])
    summary = client.end_session(session)
    return summary


def test_http_exporter_payload_shape(fake_collector):
    host, port = fake_collector.server_address
    client = AgentTrace(endpoint="http://%s:%d" % (host, port), api_key="secret", service_name="svc")
    summary = agent_run(client)
    client.shutdown(2)

    paths = [r["path"] for r in fake_collector.requests]
    assert paths[0] == "/v1/sessions/start" and paths[-1] == "/v1/sessions/end" and "/v1/spans" in paths
    for request in fake_collector.requests:
        assert request["headers"]["Authorization"] == "Bearer secret"
        assert request["headers"]["Content-Type"] == "application/json"
    batch = next(r["json"] for r in fake_collector.requests if r["path"] == "/v1/spans")
    assert batch["service_name"] == "svc" and batch["sdk_version"]
    spans = fake_collector.spans()
    assert len(spans) == 4  # two span-start events + two final spans
    chat = next(s for s in spans if s["name"] == "chat" and s["status"] == "SPAN_STATUS_OK")
    assert chat["type"] == "SPAN_TYPE_LLM_CALL" and chat["usage"]["input_tokens"] == 10
    assert chat["request"] == {"temperature": 0.5} and chat["attributes"] == {"k": [1, 2]}
    assert isinstance(chat["start_time_unix_nano"], int)
    start = fake_collector.requests[0]["json"]
    assert start["name"] == "run" and start["framework"] == "test" and start["tags"] == ["ci"]
    end = fake_collector.requests[-1]["json"]
    assert end["session_id"] == start["session_id"] and end["status"] == "SPAN_STATUS_OK"
    # int64 strings in the answer become ints; omitted fields are filled in
    assert summary["source"] == "collector" and summary["span_count"] == 3 and summary["duration_ms"] == 2000
    assert summary["tokens"]["input_tokens"] == 10 and summary["tokens"]["cache_write_1h_tokens"] == 0
    assert summary["error_count"] == 0 and summary["cost_usd"] == 0.0021
    assert client.stats()["sent"] == 4


def test_http_exporter_counts_rejected_and_http_errors(fake_collector, caplog):
    host, port = fake_collector.server_address
    fake_collector.reject_first = True
    client = AgentTrace(endpoint="http://%s:%d" % (host, port), send_span_start=False)
    client.start_span("a").end()
    client.start_span("b").end()
    client.flush(2)
    assert client.stats()["sent"] == 1 and client.stats()["failed"] == 1
    assert "rejected 1 span" in caplog.text
    fake_collector.reject_first = False
    fake_collector.status = 503
    client.start_span("c").end()
    client.flush(2)
    assert client.stats()["failed"] == 2 and "HTTP 503" in caplog.text
    client.shutdown(1)


def test_http_exporter_reconnects_after_the_server_drops_the_connection(fake_collector):
    host, port = fake_collector.server_address
    client = AgentTrace(endpoint="http://%s:%d" % (host, port), send_span_start=False)
    client.start_span("a").end()
    client.flush(2)
    transport = client._processor.exporter._transport
    transport._conn.sock.shutdown(socket.SHUT_RDWR)  # as if the collector closed an idle connection
    client.start_span("b").end()
    client.flush(2)
    assert client.stats() == {"sent": 2, "dropped": 0, "failed": 0, "queued": 0}
    client.shutdown(1)


def test_unix_socket_exporter(fake_unix_collector):
    client = AgentTrace(exporter="unix", socket_path=fake_unix_collector.server_address, api_key="k")
    summary = agent_run(client)
    client.shutdown(2)
    assert summary["source"] == "collector"
    assert [r["path"] for r in fake_unix_collector.requests][0] == "/v1/sessions/start"
    assert len(fake_unix_collector.spans()) == 4
    assert fake_unix_collector.requests[0]["headers"]["Authorization"] == "Bearer k"


@pytest.fixture
def udp_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    yield sock
    sock.close()


def receive_all(sock: socket.socket) -> list:
    datagrams = []
    try:
        while True:
            datagrams.append(sock.recv(65535))
            sock.settimeout(0.2)
    except socket.timeout:
        return datagrams


def decoded_spans(datagrams: list, api_key: bytes = b"") -> list:
    spans = []
    for datagram in datagrams:
        batch = wd.fields(datagram)
        assert batch[2] == [b"svc"]
        assert batch.get(4, [b""]) == [api_key]
        for raw in batch.get(1, []):
            f = wd.fields(raw)
            spans.append({"name": f[5][0].decode(), "status": f.get(7, [0])[0], "fields": f})
    return spans


def test_udp_exporter_sends_protobuf_batches_and_sessions_over_http(udp_socket, fake_collector):
    port = udp_socket.getsockname()[1]
    host, http_port = fake_collector.server_address
    client = AgentTrace(exporter="udp", udp_addr="127.0.0.1:%d" % port, service_name="svc",
                        endpoint="http://%s:%d" % (host, http_port))
    summary = agent_run(client)
    spans = decoded_spans(receive_all(udp_socket))
    assert sorted((s["name"], s["status"]) for s in spans) == [("chat", 1), ("chat", 2), ("task", 1), ("task", 2)]
    chat = next(s for s in spans if s["name"] == "chat" and s["status"] == 2)["fields"]
    assert wd.fields(chat[20][0])[1] == [10] and wd.value_map(chat[29]) == {"k": [1, 2]}
    assert summary["source"] == "collector"
    assert [r["path"] for r in fake_collector.requests] == ["/v1/sessions/start", "/v1/sessions/end"]
    client.shutdown(1)


def test_udp_exporter_sends_the_api_key_in_every_datagram(udp_socket, fake_collector):
    port = udp_socket.getsockname()[1]
    host, http_port = fake_collector.server_address
    client = AgentTrace(exporter="udp", udp_addr="127.0.0.1:%d" % port, service_name="svc",
                        endpoint="http://%s:%d" % (host, http_port), api_key="ingest-key-0123456789")
    agent_run(client)
    datagrams = receive_all(udp_socket)
    assert datagrams
    assert len(decoded_spans(datagrams, api_key=b"ingest-key-0123456789")) == 4
    # Sessions go over HTTP with the same key as a header.
    assert fake_collector.requests[0]["headers"]["Authorization"] == "Bearer ingest-key-0123456789"
    client.shutdown(1)


def test_udp_api_key_counts_against_the_datagram_limit():
    key = "k" * 1000
    exporter = UDPExporter("127.0.0.1", 9, "svc", "0.1.0", max_datagram_bytes=4000, api_key=key)
    spans = [{"trace_id": "a" * 32, "span_id": "%016x" % i, "name": "s", "prompt": "x" * 500} for i in range(20)]
    datagrams = list(exporter.datagrams(spans))
    assert sum(n for _, n in datagrams) == 20
    for datagram, _ in datagrams:
        assert len(datagram) <= 4000
        assert wd.fields(datagram)[4] == [key.encode()]


def test_udp_datagrams_stay_under_the_limit():
    # packing is checked without a socket: a localhost burst of 1 MB would overflow a receive buffer
    exporter = UDPExporter("127.0.0.1", 9, "svc", "0.1.0")
    spans = [{"trace_id": "a" * 32, "span_id": "%016x" % i, "name": "s%d" % i, "prompt": "p" * 3000,
              "response": "r" * 3000} for i in range(200)]
    datagrams = list(exporter.datagrams(spans))
    assert len(datagrams) > 10 and all(len(d) <= MAX_DATAGRAM_BYTES for d, _ in datagrams)
    assert all(len(d) > MAX_DATAGRAM_BYTES - 7000 for d, _ in datagrams[:-1]), "datagrams are filled"
    assert sum(n for _, n in datagrams) == 200
    names = [s["name"] for s in decoded_spans([d for d, _ in datagrams])]
    assert names == ["s%d" % i for i in range(200)]


def test_udp_truncates_a_span_too_large_for_one_datagram(udp_socket):
    exporter = UDPExporter("127.0.0.1", udp_socket.getsockname()[1], "svc", "0.1.0")
    huge = {"trace_id": "a" * 32, "span_id": "b" * 16, "name": "huge", "prompt": "x" * 200_000,
            "response": "y" * 200_000, "tool": {"name": "t", "input": "z" * 100_000}}
    hopeless = {"trace_id": "a" * 32, "span_id": "c" * 16, "name": "x" * 100_000}
    assert exporter.export([huge, hopeless]) == 1
    (datagram,) = receive_all(udp_socket)
    assert len(datagram) <= MAX_DATAGRAM_BYTES
    (span,) = decoded_spans([datagram])
    f = span["fields"]
    assert len(f[15][0]) == 4096 and len(f[16][0]) == 4096 and wd.fields(f[17][0])[1] == [b"t"]
    exporter.shutdown()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_does_not_share_the_parents_connection(fake_collector):
    host, port = fake_collector.server_address
    client = AgentTrace(endpoint="http://%s:%d" % (host, port), send_span_start=False)
    client.start_span("parent").end()
    client.flush(2)
    parent_conn = client._processor.exporter._transport._conn
    assert parent_conn is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork of a multi-threaded process
        pid = os.fork()
    if pid == 0:
        ok = False
        try:
            fresh = client._processor.exporter._transport._conn is None
            client.start_span("child").end()
            ok = fresh and client.flush(2) and client.stats()["sent"] == 2
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    client.start_span("parent-again").end()
    client.flush(2)
    assert client._processor.exporter._transport._conn is parent_conn  # still the parent's, still working
    assert sorted(s["name"] for s in fake_collector.spans()) == ["child", "parent", "parent-again"]
    client.shutdown(1)
