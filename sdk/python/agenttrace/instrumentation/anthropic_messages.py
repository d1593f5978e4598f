"""Instrumentation of ``anthropic``'s Messages API (``client.messages.create``).

Anthropic's ``input_tokens`` already excludes cache reads and writes, so the
buckets map directly; cache writes split into 5 minute and 1 hour TTLs when
``usage.cache_creation`` says so. Thinking tokens are part of
``output_tokens`` and not reported apart, so ``reasoning_tokens`` stays 0.
"""

from typing import Any, Dict, List

from ..span import Span, as_count
from .patching import (LLMResult, Provider, StreamAccumulator, ToolCallRequest, get_field, given,
                       request_preview)

_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
               "cache_creation")


def convert_usage(usage: Any) -> Dict[str, int]:
    """Anthropic ``usage`` (object or dict) as exclusive buckets."""
    detail = get_field(usage, "cache_creation")
    write_5m = get_field(detail, "ephemeral_5m_input_tokens")
    write_1h = get_field(detail, "ephemeral_1h_input_tokens")
    if write_5m is None and write_1h is None:
        write_5m = get_field(usage, "cache_creation_input_tokens")
    return {
        "input_tokens": as_count(get_field(usage, "input_tokens")),
        "output_tokens": as_count(get_field(usage, "output_tokens")),
        "cache_read_tokens": as_count(get_field(usage, "cache_read_input_tokens")),
        "cache_write_tokens": as_count(write_5m),
        "cache_write_1h_tokens": as_count(write_1h),
        "reasoning_tokens": 0,
    }


def on_request(span: Span, kwargs: Dict[str, Any]) -> None:
    """Record temperature, max_tokens, top_p, thinking and the prompt."""
    span.set_request(
        temperature=given(kwargs.get("temperature")),
        max_tokens=given(kwargs.get("max_tokens")),
        top_p=given(kwargs.get("top_p")),
    )
    thinking = given(kwargs.get("thinking"))
    if thinking is not None:
        span.set_request(thinking_enabled=get_field(thinking, "type") in ("enabled", "adaptive"),
                         thinking_budget_tokens=get_field(thinking, "budget_tokens"))
    if span.capture_content:
        prompt: Dict[str, Any] = {"messages": given(kwargs.get("messages"))}
        system = given(kwargs.get("system"))
        if system is not None:
            prompt = {"system": system, **prompt}
        span.set_prompt(request_preview(prompt))


def _tool_call(block: Any, arguments: str) -> ToolCallRequest:
    return ToolCallRequest(str(get_field(block, "id") or ""), str(get_field(block, "name") or ""), arguments)


def on_response(message: Any) -> LLMResult:
    """Read a ``Message``."""
    texts: List[str] = []
    tool_calls: List[ToolCallRequest] = []
    for block in get_field(message, "content") or []:
        kind = get_field(block, "type")
        if kind == "text":
            texts.append(str(get_field(block, "text") or ""))
        elif kind == "tool_use":
            tool_calls.append(_tool_call(block, request_preview(get_field(block, "input") or {})))
    usage = get_field(message, "usage")
    return LLMResult(
        model=str(get_field(message, "model") or ""),
        response_id=str(get_field(message, "id") or ""),
        stop_reason=str(get_field(message, "stop_reason") or ""),
        text="".join(texts),
        usage=convert_usage(usage) if usage is not None else None,
        tool_calls=tool_calls,
    )


class MessageStreamAccumulator(StreamAccumulator):
    """Reads ``RawMessageStreamEvent``s: message_start, content_block_*, message_delta."""

    def __init__(self) -> None:
        self._message: Any = None
        self._usage: Dict[str, Any] = {}
        self._stop_reason = ""
        self._texts: List[str] = []
        self._tools: Dict[int, List[Any]] = {}  # block index -> [block, argument fragments]

    def _merge_usage(self, usage: Any) -> None:
        for key in _USAGE_KEYS:
            value = get_field(usage, key)
            if value is not None:
                self._usage[key] = value

    def add(self, event: Any) -> None:
        kind = get_field(event, "type")
        if kind == "message_start":
            self._message = get_field(event, "message")
            self._merge_usage(get_field(self._message, "usage"))
        elif kind == "content_block_start":
            block = get_field(event, "content_block")
            if get_field(block, "type") == "tool_use":
                self._tools[as_count(get_field(event, "index"))] = [block, []]
            elif get_field(block, "type") == "text" and get_field(block, "text"):
                self._texts.append(str(get_field(block, "text")))
        elif kind == "content_block_delta":
            delta = get_field(event, "delta")
            delta_type = get_field(delta, "type")
            if delta_type == "text_delta":
                self._texts.append(str(get_field(delta, "text") or ""))
            elif delta_type == "input_json_delta":
                tool = self._tools.get(as_count(get_field(event, "index")))
                if tool is not None:
                    tool[1].append(str(get_field(delta, "partial_json") or ""))
        elif kind == "message_delta":
            self._stop_reason = str(get_field(get_field(event, "delta"), "stop_reason") or self._stop_reason)
            self._merge_usage(get_field(event, "usage"))

    def result(self) -> LLMResult:
        return LLMResult(
            model=str(get_field(self._message, "model") or ""),
            response_id=str(get_field(self._message, "id") or ""),
            stop_reason=self._stop_reason,
            text="".join(self._texts),
            usage=convert_usage(self._usage) if self._usage else None,
            tool_calls=[_tool_call(block, "".join(parts) or "{}") for block, parts in self._tools.values()],
        )


PROVIDER = Provider(
    name="anthropic",
    targets=[
        ("anthropic.resources.messages", "Messages", False),
        ("anthropic.resources.messages", "AsyncMessages", True),
    ],
    on_request=on_request,
    on_response=on_response,
    new_accumulator=MessageStreamAccumulator,
)
