"""Auto-instrumentation of anthropic and openai.

Neither library is installed: the tests run against stand-in classes shaped
like the real SDKs', injected into ``sys.modules`` under the real module paths
(see fake_providers.py).
"""

import asyncio
import gc
import json

import pytest

import agenttrace
import fake_providers as fp
from agenttrace import AgentTrace
from agenttrace.instrumentation import instrument, uninstrument


@pytest.fixture
def fakes(monkeypatch):
    fp.install(monkeypatch)
    fp.Messages.calls, fp.Messages.fail_with = [], None
    yield fp
    uninstrument()


@pytest.fixture
def traced(fakes, client):
    assert instrument(client) == ["anthropic", "openai"]
    return client


def llm_spans(memory):
    return [r for r in memory.finished() if r["type"] == "SPAN_TYPE_LLM_CALL"]


def test_nothing_to_patch_without_the_libraries():
    assert instrument() == []


def test_anthropic_create(traced, memory, fakes):
    with traced.start_span("agent", span_type="agent") as agent:
        message = fakes.Messages().create(
            model="claude-sonnet-4", max_tokens=1024, temperature=0.3, top_p=fakes.NOT_GIVEN,
            thinking={"type": "enabled", "budget_tokens": 2048}, system="Be brief.",
            messages=[{"role": "user", "content": "find cats"}])
    assert message.id == "msg_01"  # the caller gets the provider's object untouched
    traced.flush(2)
    (span,) = llm_spans(memory)
    assert span["name"] == "chat claude-sonnet-4" and span["parent_span_id"] == agent.span_id
    assert span["model"] == "claude-sonnet-4-20250514" and span["provider"] == "anthropic"
    assert span["attributes"]["gen_ai.request.model"] == "claude-sonnet-4"
    assert span["attributes"]["gen_ai.response.id"] == "msg_01"
    assert span["request"] == {"temperature": 0.3, "max_tokens": 1024, "thinking_enabled": True,
                               "thinking_budget_tokens": 2048, "stop_reason": "tool_use"}
    # input_tokens already excludes the cache; the cache write splits into 5 m and 1 h
    assert span["usage"] == {"input_tokens": 100, "output_tokens": 50, "cache_read_tokens": 1000,
                             "cache_write_tokens": 200, "cache_write_1h_tokens": 100, "reasoning_tokens": 0}
    assert json.loads(span["prompt"]) == {"system": "Be brief.",
                                          "messages": [{"role": "user", "content": "find cats"}]}
    assert span["response"] == "Let me search."
    (event,) = span["events"]
    assert event["name"] == "gen_ai.tool.call" and event["attributes"] == {
        "gen_ai.tool.name": "search", "gen_ai.tool.call.id": "toolu_01", "gen_ai.tool.call.arguments": '{"q": "cats"}'}


def test_anthropic_cache_write_without_ttl_detail(traced, memory, fakes, monkeypatch):
    message = fakes.anthropic_message(usage={"input_tokens": 5, "output_tokens": 6,
                                             "cache_creation_input_tokens": 70, "cache_read_input_tokens": None})
    original = fakes.Messages.create.__agenttrace_original__

    def create(self, **kwargs):
        original(self, **kwargs)
        return message

    monkeypatch.setattr(fakes.Messages, "create", create)
    instrument(traced)
    fakes.Messages().create(model="m", max_tokens=1, messages=[])
    traced.flush(2)
    assert llm_spans(memory)[0]["usage"] == {"input_tokens": 5, "output_tokens": 6, "cache_read_tokens": 0,
                                             "cache_write_tokens": 70, "cache_write_1h_tokens": 0,
                                             "reasoning_tokens": 0}


def test_anthropic_stream(traced, memory, fakes):
    with fakes.Messages().create(model="claude-sonnet-4", max_tokens=10, messages=[], stream=True) as stream:
        assert stream.response.status_code == 200  # attributes pass through to the real stream
        events = [event.type for event in stream]
    assert events[0] == "message_start" and events[-1] == "message_stop"
    traced.flush(2)
    (span,) = llm_spans(memory)
    assert span["usage"]["input_tokens"] == 100 and span["usage"]["output_tokens"] == 42
    assert span["usage"]["cache_read_tokens"] == 1000
    assert span["response"] == "Hello" and span["request"]["stop_reason"] == "end_turn"
    assert span["model"] == "claude-sonnet-4-20250514"
    names = [e["name"] for e in span["events"]]
    assert names == ["first_token", "gen_ai.tool.call"]
    assert span["events"][1]["attributes"]["gen_ai.tool.call.arguments"] == '{"x": 2}'


def test_anthropic_async_and_async_stream(traced, memory, fakes):
    async def main():
        async with traced.start_span("agent") as agent:
            await fakes.AsyncMessages().create(model="claude", max_tokens=5, messages=[])
            stream = await fakes.AsyncMessages().create(model="claude", max_tokens=5, messages=[], stream=True)
            async with stream:
                chunks = [event async for event in stream]
        return agent, chunks

    agent, chunks = asyncio.run(main())
    assert len(chunks) == 11
    traced.flush(2)
    plain, streamed = llm_spans(memory)
    assert plain["parent_span_id"] == streamed["parent_span_id"] == agent.span_id
    assert plain["usage"]["output_tokens"] == 50 and streamed["usage"]["output_tokens"] == 42
    assert streamed["response"] == "Hello"


def test_provider_error_is_recorded_and_reraised(traced, memory, fakes):
    fakes.Messages.fail_with = fakes.RateLimitError("slow down")
    with pytest.raises(fakes.RateLimitError):
        fakes.Messages().create(model="claude", max_tokens=5, messages=[])
    traced.flush(2)
    (span,) = llm_spans(memory)
    assert span["status"] == "SPAN_STATUS_ERROR" and span["error_code"] == "RateLimitError"
    assert span["status_message"] == "slow down"


def test_openai_create(traced, memory, fakes):
    completion = fakes.Completions().create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}], temperature=0,
        max_completion_tokens=256, top_p=1, reasoning_effort="low")
    assert completion.id == "chatcmpl-1"
    traced.flush(2)
    (span,) = llm_spans(memory)
    assert span["provider"] == "openai" and span["model"] == "gpt-4o-mini-2024-07-18"
    assert span["request"] == {"temperature": 0.0, "max_tokens": 256, "top_p": 1.0, "thinking_enabled": True,
                               "stop_reason": "tool_calls"}
    assert span["attributes"]["gen_ai.request.reasoning_effort"] == "low"
    # prompt_tokens 1200 includes 1000 cached; completion_tokens 300 includes 200 reasoning
    assert span["usage"] == {"input_tokens": 200, "output_tokens": 100, "cache_read_tokens": 1000,
                             "cache_write_tokens": 0, "cache_write_1h_tokens": 0, "reasoning_tokens": 200}
    assert span["response"] == "Checking."
    assert json.loads(span["prompt"]) == [{"role": "user", "content": "weather?"}]
    assert span["events"][0]["attributes"] == {"gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "call_1",
                                               "gen_ai.tool.call.arguments": '{"city":"Paris"}'}


def test_openai_stream_with_and_without_usage(traced, memory, fakes):
    for include in (True, False):
        stream = fakes.Completions().create(model="gpt-4o", messages=[], stream=True,
                                            stream_options={"include_usage": include} if include else fakes.NOT_GIVEN)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text == "Bonjour"
    traced.flush(2)
    with_usage, without = llm_spans(memory)
    assert with_usage["usage"]["input_tokens"] == 50 and with_usage["usage"]["output_tokens"] == 20
    assert "usage" not in without
    for span in (with_usage, without):
        assert span["response"] == "Bonjour" and span["request"]["stop_reason"] == "stop"
        assert span["model"] == "gpt-4o-2024-08-06"
        call = span["events"][1]["attributes"]
        assert (call["gen_ai.tool.name"], call["gen_ai.tool.call.id"], call["gen_ai.tool.call.arguments"]) == \
            ("lookup", "call_9", '{"a":1}')


def test_openai_async_stream(traced, memory, fakes):
    async def main():
        stream = await fakes.AsyncCompletions().create(model="gpt-4o", messages=[], stream=True,
                                                       stream_options={"include_usage": True})
        return [c async for c in stream]

    assert len(asyncio.run(main())) == 7
    asyncio.run(fakes.AsyncCompletions().create(model="gpt-4o", messages=[]))
    traced.flush(2)
    streamed, plain = llm_spans(memory)
    assert streamed["usage"]["input_tokens"] == 50 and plain["usage"]["reasoning_tokens"] == 200


def test_stream_abandoned_early_still_ends_the_span(traced, memory, fakes):
    stream = fakes.Completions().create(model="gpt-4o", messages=[], stream=True)
    next(iter(stream))
    del stream
    gc.collect()
    closed = fakes.Completions().create(model="gpt-4o", messages=[], stream=True)
    next(closed)
    closed.close()
    traced.flush(2)
    assert len(llm_spans(memory)) == 2


def test_content_capture_off_and_bounded_previews(fakes, memory):
    quiet = AgentTrace(exporter=memory, capture_content=False)
    instrument(quiet)
    fakes.Messages().create(model="claude", max_tokens=5, messages=[{"role": "user", "content": "secret"}])
    quiet.flush(2)
    (span,) = llm_spans(memory)
    assert "prompt" not in span and "response" not in span and span["usage"]["input_tokens"] == 100
    assert "gen_ai.tool.call.arguments" not in span["events"][0]["attributes"]
    quiet.shutdown(1)

    memory.batches.clear()
    short = AgentTrace(exporter=memory, max_content_chars=20)
    instrument(short)
    fakes.Messages().create(model="claude", max_tokens=5, messages=[{"role": "user", "content": "x" * 1000}])
    short.flush(2)
    (span,) = llm_spans(memory)
    assert len(span["prompt"]) == 20
    short.shutdown(1)


def test_sdk_failures_never_break_the_call(traced, memory, fakes, monkeypatch):
    original = fakes.Messages.create.__agenttrace_original__

    def weird_create(self, **kwargs):  # a response the SDK cannot read
        original(self, **kwargs)
        return fakes.O(usage="garbage", content=42, model=None)

    monkeypatch.setattr(fakes.Messages, "create", weird_create)
    instrument(traced)
    result = fakes.Messages().create(model="claude", max_tokens=5, messages=[object()])
    assert result.usage == "garbage"
    traced.flush(2)
    (span,) = llm_spans(memory)
    assert span["status"] == "SPAN_STATUS_OK"


def test_uninstrument_restores_originals(traced, fakes):
    assert hasattr(fakes.Messages.create, "__agenttrace_original__")
    uninstrument()
    assert not hasattr(fakes.Messages.create, "__agenttrace_original__")
    assert not hasattr(fakes.AsyncCompletions.create, "__agenttrace_original__")


def test_default_client_is_looked_up_at_call_time(fakes, memory):
    instrument()
    agenttrace.init(exporter=memory)
    try:
        fakes.Completions().create(model="gpt-4o", messages=[])
        agenttrace.flush(2)
        assert len(llm_spans(memory)) == 1
    finally:
        agenttrace.shutdown()
