"""The public API: spans, sessions, the decorator, configuration."""

import asyncio
import io
import json
import re

import pytest

import agenttrace
from agenttrace import AgentTrace, Config, SpanStatus, SpanType, trace

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def test_span_ids_times_and_parenting(client, memory):
    with client.start_span("task", span_type="task") as root:
        with client.start_span("step", span_type=SpanType.LLM_CALL) as child:
            assert agenttrace.current_span() is child
        assert agenttrace.current_span() is root
    assert agenttrace.current_span() is None
    client.flush(2)
    r, c = memory.by_name("task"), memory.by_name("step")
    assert HEX32.match(r["trace_id"]) and HEX16.match(r["span_id"])
    assert c["trace_id"] == r["trace_id"] and c["parent_span_id"] == r["span_id"]
    assert "parent_span_id" not in r
    assert r["type"] == "SPAN_TYPE_TASK" and c["type"] == "SPAN_TYPE_LLM_CALL"
    assert r["status"] == c["status"] == "SPAN_STATUS_OK"
    assert r["start_time_unix_nano"] <= c["start_time_unix_nano"] <= c["end_time_unix_nano"] <= r["end_time_unix_nano"]
    assert r["sdk_version"] == agenttrace.__version__ and r["hostname"]


def test_span_start_event_is_running_copy_with_same_ids(client, memory):
    span = client.start_span("work", span_type="tool_execution")
    client.flush(2)
    (running,) = memory.records
    assert running["status"] == "SPAN_STATUS_RUNNING" and "end_time_unix_nano" not in running
    span.end()
    client.flush(2)
    final = memory.records[-1]
    assert (final["trace_id"], final["span_id"]) == (running["trace_id"], running["span_id"])
    assert final["status"] == "SPAN_STATUS_OK" and final["end_time_unix_nano"] >= running["start_time_unix_nano"]


def test_span_start_events_can_be_turned_off(memory):
    c = AgentTrace(exporter=memory, send_span_start=False)
    c.start_span("x").end()
    c.flush(2)
    assert [r["status"] for r in memory.records] == ["SPAN_STATUS_OK"]
    c.shutdown()


def test_span_fields(client, memory):
    with client.start_span("llm", span_type="llm_call", attributes={"k": 1}, tags=["a"]) as span:
        span.set_model("claude-sonnet-4", "anthropic")
        span.set_request(temperature=0.2, max_tokens=100, top_p=0.9, thinking_enabled=True,
                         thinking_budget_tokens=2048, stop_reason="end_turn")
        span.set_token_usage(input_tokens=10, output_tokens=20, cache_read_tokens=30, cache_write_tokens=40,
                             cache_write_1h_tokens=50, reasoning_tokens=60)
        span.set_prompt([{"role": "user", "content": "hi"}])
        span.set_response("hello")
        span.set_attribute("obj", object()).set_attribute("nan", float("nan")).set_attribute("nested", {"l": [1, "x"]})
        span.add_event("retry", {"attempt": 2})
        span.set_cost(0.5)
        span.add_tags("b")
    with client.start_span("read", span_type="file_read") as f:
        f.set_file("/tmp/a.txt", "read", bytes=12, lines=3)
    client.flush(2)
    r = memory.by_name("llm")
    assert r["model"] == "claude-sonnet-4" and r["provider"] == "anthropic"
    assert r["request"] == {"temperature": 0.2, "max_tokens": 100, "top_p": 0.9, "thinking_enabled": True,
                            "thinking_budget_tokens": 2048, "stop_reason": "end_turn"}
    assert r["usage"] == {"input_tokens": 10, "output_tokens": 20, "cache_read_tokens": 30,
                          "cache_write_tokens": 40, "cache_write_1h_tokens": 50, "reasoning_tokens": 60}
    assert json.loads(r["prompt"]) == [{"role": "user", "content": "hi"}] and r["response"] == "hello"
    assert r["attributes"]["k"] == 1 and r["attributes"]["obj"].startswith("<object")
    assert r["attributes"]["nan"] == "nan" and r["attributes"]["nested"] == {"l": [1, "x"]}
    assert r["events"][0]["name"] == "retry" and r["events"][0]["attributes"] == {"attempt": "2"}
    assert r["reported_cost_usd"] == 0.5 and r["tags"] == ["a", "b"]
    assert memory.by_name("read")["file"] == {"path": "/tmp/a.txt", "operation": "read", "bytes": 12, "lines": 3}
    json.dumps(memory.records, allow_nan=False)  # everything is plain JSON


def test_setters_never_raise_on_bad_values(client, memory):
    with client.start_span("x") as span:
        span.set_token_usage(input_tokens="many", output_tokens=None, reasoning_tokens=-5)
        span.set_request(temperature="hot", max_tokens=object(), top_p=float("inf"))
        span.set_cost("free")
        span.set_status("bogus")
    client.flush(2)
    r = memory.by_name("x")
    assert r["usage"]["input_tokens"] == 0 and r["usage"]["reasoning_tokens"] == 0
    assert "request" not in r and "reported_cost_usd" not in r
    assert r["status"] == "SPAN_STATUS_ERROR"


def test_unknown_span_type_falls_back_to_custom(client, memory):
    client.start_span("x", span_type="telepathy").end()
    client.flush(2)
    assert memory.by_name("x")["type"] == "SPAN_TYPE_CUSTOM"


def test_exception_is_recorded_and_reraised(client, memory):
    with pytest.raises(KeyError):
        with client.start_span("boom"):
            raise KeyError("missing")
    client.flush(2)
    r = memory.by_name("boom")
    assert r["status"] == "SPAN_STATUS_ERROR" and r["error_code"] == "KeyError"
    assert r["status_message"] == "'missing'"
    event = r["events"][0]
    assert event["name"] == "exception" and "KeyError" in event["attributes"]["exception.stacktrace"]


def test_cancel_and_timeout_statuses(client, memory):
    async def main():
        async def slow():
            async with client.start_span("cancelled"):
                await asyncio.sleep(10)

        task = asyncio.ensure_future(slow())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(asyncio.TimeoutError):
            async with client.start_span("timeout"):
                await asyncio.wait_for(asyncio.sleep(10), 0.01)

    asyncio.run(main())
    client.flush(2)
    assert memory.by_name("cancelled")["status"] == "SPAN_STATUS_CANCELLED"
    assert memory.by_name("timeout")["status"] == "SPAN_STATUS_TIMEOUT"


def test_record_error_with_message_and_explicit_status(client, memory):
    span = client.start_span("s")
    span.record_error("rate limited", error_code="RateLimitError")
    span.end()
    other = client.start_span("t")
    other.set_status("timeout", "took too long")
    other.end()
    span.end()  # second end is ignored
    client.flush(2)
    assert len(memory.finished()) == 2
    r = memory.by_name("s")
    assert (r["status"], r["error_code"], r["status_message"]) == ("SPAN_STATUS_ERROR", "RateLimitError", "rate limited")
    assert memory.by_name("t")["status"] == "SPAN_STATUS_TIMEOUT"


def test_content_bounded_and_capture_off(memory):
    c = AgentTrace(exporter=memory, max_content_chars=10, capture_content=False)
    with c.start_span("tool", span_type="tool_execution") as span:
        span.set_prompt("secret").set_response("secret").set_tool(name="grep", input="secret", output="x")
    c2 = AgentTrace(exporter=memory, max_content_chars=10)
    with c2.start_span("long") as span:
        span.set_prompt("x" * 100)
    c.flush(2)
    c2.flush(2)
    r = memory.by_name("tool")
    assert "prompt" not in r and "response" not in r and r["tool"] == {"name": "grep"}
    long = memory.by_name("long")["prompt"]
    assert len(long) == 10 and long.endswith("\u2026")
    c.shutdown()
    c2.shutdown()


def test_trace_decorator_sync_and_async(client, memory):
    @client.trace(span_type="tool_execution")
    def search(query, limit=3):
        return {"hits": [query] * limit}

    @client.trace(name="plan", span_type="reasoning")
    async def plan(goal):
        return search(goal, limit=1)

    @client.trace
    def fails():
        raise ValueError("no")

    assert asyncio.run(plan("cats")) == {"hits": ["cats"]}
    with pytest.raises(ValueError):
        fails()
    client.flush(2)
    p, s, f = memory.by_name("plan"), memory.by_name("test_trace_decorator_sync_and_async.<locals>.search"), \
        memory.by_name("test_trace_decorator_sync_and_async.<locals>.fails")
    assert p["type"] == "SPAN_TYPE_REASONING" and s["parent_span_id"] == p["span_id"]
    assert s["tool"]["name"] == "search" and json.loads(s["tool"]["input"]) == {"query": "cats", "limit": 1}
    assert json.loads(s["tool"]["output"]) == {"hits": ["cats"]} and s["tool"]["success"] is True
    assert f["status"] == "SPAN_STATUS_ERROR" and f["error_code"] == "ValueError"


def test_failed_tool_is_marked_unsuccessful(client, memory):
    @trace(span_type="tool_execution", client=client)
    def tool():
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        tool()
    client.flush(2)
    assert memory.finished()[0]["tool"]["success"] is False


def test_module_level_api_uses_default_client(memory):
    agenttrace.init(exporter=memory)
    try:
        @agenttrace.trace
        def step():
            return agenttrace.current_span()

        with agenttrace.start_span("root"):
            inner = step()
        session = agenttrace.start_session("run")
        agenttrace.start_span("in-session").end()
        summary = agenttrace.end_session()
        assert agenttrace.flush(2)
        assert inner.name.endswith("step") and summary["span_count"] == 1
        assert agenttrace.stats()["sent"] == len(memory.records)
        assert memory.by_name("in-session")["session_id"] == session.session_id
    finally:
        agenttrace.shutdown()


def test_sessions_local_summary_and_collector_summary(client, memory):
    session = client.start_session("run", framework="langgraph", tags=["t"], agent_name="bot", user_id="u1",
                                   metadata={"k": 1})
    with client.start_span("task", span_type="task"):
        with client.start_span("llm", span_type="llm_call") as llm:
            llm.set_token_usage(input_tokens=10, output_tokens=5, cache_read_tokens=2).set_cost(0.01)
        with pytest.raises(RuntimeError):
            with client.start_span("tool", span_type="tool_execution"):
                raise RuntimeError("x")
    summary = client.end_session()
    assert summary["source"] == "sdk" and summary["session_id"] == session.session_id
    assert (summary["span_count"], summary["trace_count"], summary["llm_calls"], summary["tool_calls"],
            summary["error_count"], summary["total_tokens"]) == (3, 1, 1, 1, 1, 17)
    assert summary["tokens"]["cache_read_tokens"] == 2 and summary["cost_usd"] == pytest.approx(0.01)
    assert client.end_session(session) is summary  # idempotent
    kind, start = memory.sessions[0]
    assert kind == "start" and start == {
        "session_id": session.session_id, "start_time_unix_nano": session.start_time_ns, "name": "run",
        "framework": "langgraph", "tags": ["t"], "agent_name": "bot", "user_id": "u1", "metadata": {"k": "1"}}
    assert memory.sessions[1] == ("end", {"session_id": session.session_id,
                                          "end_time_unix_nano": session.end_time_ns, "status": "SPAN_STATUS_OK"})
    llm = memory.by_name("llm")
    assert llm["session_id"] == session.session_id and llm["framework"] == "langgraph" and llm["agent_name"] == "bot"
    assert client.current_session() is None and client.end_session() == {}

    memory.summary = {"session_id": "s-2", "span_count": "4", "tokens": {"input_tokens": "7"}}
    with client.start_session("second") as second:
        client.start_span("after").end()
    assert second.summary["source"] == "collector" and second.summary["span_count"] == 4
    assert second.summary["tokens"]["input_tokens"] == 7 and second.summary["tokens"]["reasoning_tokens"] == 0
    assert "cost_usd" not in second.summary
    assert memory.by_name("after")["session_id"] == second.session_id


def test_session_context_manager_marks_error(client, memory):
    with pytest.raises(ZeroDivisionError):
        with client.start_session("bad"):
            1 / 0
    assert memory.sessions[-1][1]["status"] == "SPAN_STATUS_ERROR"


def test_disabled_client_keeps_api_working(monkeypatch):
    monkeypatch.setenv("AGENTTRACE_DISABLED", "true")
    c = AgentTrace()
    c.start_session("s")
    with c.start_span("x") as span:
        span.set_token_usage(1, 2)
    assert c.end_session()["span_count"] == 1
    assert c.stats() == {"sent": 0, "dropped": 0, "failed": 0, "queued": 0} and c.flush()
    c.shutdown()


def test_config_from_env_and_arguments(monkeypatch):
    monkeypatch.setenv("AGENTTRACE_ENDPOINT", "collector:9000/")
    monkeypatch.setenv("AGENTTRACE_EXPORTER", "UDP")
    monkeypatch.setenv("AGENTTRACE_UDP_ADDR", "[::1]:5000")
    monkeypatch.setenv("AGENTTRACE_SOCKET", "/run/at.sock")
    monkeypatch.setenv("AGENTTRACE_API_KEY", "k")
    monkeypatch.setenv("AGENTTRACE_SERVICE_NAME", "svc")
    monkeypatch.setenv("AGENTTRACE_CAPTURE_CONTENT", "off")
    monkeypatch.setenv("AGENTTRACE_DISABLED", "")
    c = Config.resolve()
    assert (c.endpoint, c.exporter, c.udp_host_port(), c.socket_path, c.api_key, c.service_name) == (
        "http://collector:9000", "udp", ("::1", 5000), "/run/at.sock", "k", "svc")
    assert c.capture_content is False and c.disabled is False
    assert Config.resolve(exporter="console", capture_content=True, service_name=None).service_name == "svc"
    assert Config.resolve(environ={}).endpoint == "http://127.0.0.1:4321"
    assert Config.resolve(environ={}).udp_host_port() == ("127.0.0.1", 4322)
    with pytest.raises(ValueError):
        Config.resolve(exporter="carrier-pigeon")
    with pytest.raises(TypeError):
        Config.resolve(colour="blue")


def test_bad_env_makes_default_client_disabled_not_crash(monkeypatch, caplog):
    monkeypatch.setattr(agenttrace.client, "_default_client", None)
    monkeypatch.setenv("AGENTTRACE_EXPORTER", "smoke-signals")
    c = agenttrace.get_client()
    assert c.config.disabled and "bad configuration" in caplog.text
    agenttrace.start_span("still works").end()


def test_console_exporter_prints_json_lines():
    out = io.StringIO()
    c = AgentTrace(exporter="console", console_stream=out, send_span_start=False)
    c.start_session("s")
    c.start_span("hello").end()
    c.end_session()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert "session_start" in lines[0] and lines[1]["name"] == "hello" and "session_end" in lines[2]
    c.shutdown()


def test_span_status_and_type_parsing():
    assert SpanType.parse("SPAN_TYPE_LLM_CALL") is SpanType.LLM_CALL
    assert SpanType.parse("memory_store") is SpanType.MEMORY_STORE and SpanType.parse(4) is SpanType.TOOL_EXECUTION
    assert SpanStatus.OK.proto_name == "SPAN_STATUS_OK"
    with pytest.raises(ValueError):
        SpanStatus.parse("meh")
