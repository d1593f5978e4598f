"""Instrumentation of ``openai``'s Chat Completions API (``client.chat.completions.create``).

OpenAI's ``prompt_tokens`` includes ``prompt_tokens_details.cached_tokens``
and ``completion_tokens`` includes ``completion_tokens_details.reasoning_tokens``;
both are subtracted to get exclusive buckets. Streams report usage only when
the caller asks with ``stream_options={"include_usage": True}``.
"""

from typing import Any, Dict, List

from ..span import Span, as_count
from .patching import (LLMResult, Provider, StreamAccumulator, ToolCallRequest, get_field, given,
                       request_preview)


def convert_usage(usage: Any) -> Dict[str, int]:
    """OpenAI ``usage`` (object or dict) as exclusive buckets."""
    prompt = as_count(get_field(usage, "prompt_tokens"))
    completion = as_count(get_field(usage, "completion_tokens"))
    cached = as_count(get_field(get_field(usage, "prompt_tokens_details"), "cached_tokens"))
    reasoning = as_count(get_field(get_field(usage, "completion_tokens_details"), "reasoning_tokens"))
    return {
        "input_tokens": max(prompt - cached, 0),
        "output_tokens": max(completion - reasoning, 0),
        "cache_read_tokens": cached,
        "cache_write_tokens": 0,
        "cache_write_1h_tokens": 0,
        "reasoning_tokens": reasoning,
    }


def on_request(span: Span, kwargs: Dict[str, Any]) -> None:
    """Record temperature, max tokens, top_p, reasoning effort and the prompt."""
    max_tokens = given(kwargs.get("max_completion_tokens"))
    if max_tokens is None:
        max_tokens = given(kwargs.get("max_tokens"))
    span.set_request(
        temperature=given(kwargs.get("temperature")),
        max_tokens=max_tokens,
        top_p=given(kwargs.get("top_p")),
    )
    effort = given(kwargs.get("reasoning_effort"))
    if effort is not None:
        span.set_attribute("gen_ai.request.reasoning_effort", str(effort))
        span.set_request(thinking_enabled=str(effort) != "none")
    if span.capture_content:
        span.set_prompt(request_preview(given(kwargs.get("messages"))))


def on_response(completion: Any) -> LLMResult:
    """Read a ``ChatCompletion`` (its first choice)."""
    choices = get_field(completion, "choices") or []
    choice = choices[0] if choices else None
    message = get_field(choice, "message")
    tool_calls: List[ToolCallRequest] = []
    for call in get_field(message, "tool_calls") or []:
        function = get_field(call, "function")
        tool_calls.append(ToolCallRequest(str(get_field(call, "id") or ""),
                                          str(get_field(function, "name") or ""),
                                          str(get_field(function, "arguments") or "")))
    usage = get_field(completion, "usage")
    return LLMResult(
        model=str(get_field(completion, "model") or ""),
        response_id=str(get_field(completion, "id") or ""),
        stop_reason=str(get_field(choice, "finish_reason") or ""),
        text=str(get_field(message, "content") or ""),
        usage=convert_usage(usage) if usage is not None else None,
        tool_calls=tool_calls,
    )


class ChatStreamAccumulator(StreamAccumulator):
    """Reads ``ChatCompletionChunk``s (first choice; usage from the last chunk)."""

    def __init__(self) -> None:
        self._model = ""
        self._id = ""
        self._stop_reason = ""
        self._texts: List[str] = []
        self._tools: Dict[int, List[str]] = {}  # index -> [id, name, argument fragments...]
        self._usage: Any = None

    def add(self, chunk: Any) -> None:
        self._model = str(get_field(chunk, "model") or self._model)
        self._id = str(get_field(chunk, "id") or self._id)
        usage = get_field(chunk, "usage")
        if usage is not None:
            self._usage = usage
        for choice in get_field(chunk, "choices") or []:
            if as_count(get_field(choice, "index")) != 0:
                continue
            self._stop_reason = str(get_field(choice, "finish_reason") or self._stop_reason)
            delta = get_field(choice, "delta")
            content = get_field(delta, "content")
            if content:
                self._texts.append(str(content))
            for call in get_field(delta, "tool_calls") or []:
                parts = self._tools.setdefault(as_count(get_field(call, "index")), ["", ""])
                function = get_field(call, "function")
                parts[0] = str(get_field(call, "id") or parts[0])
                parts[1] = str(get_field(function, "name") or parts[1])
                parts.append(str(get_field(function, "arguments") or ""))

    def result(self) -> LLMResult:
        return LLMResult(
            model=self._model,
            response_id=self._id,
            stop_reason=self._stop_reason,
            text="".join(self._texts),
            usage=convert_usage(self._usage) if self._usage is not None else None,
            tool_calls=[ToolCallRequest(p[0], p[1], "".join(p[2:])) for p in self._tools.values()],
        )


PROVIDER = Provider(
    name="openai",
    targets=[
        ("openai.resources.chat.completions", "Completions", False),
        ("openai.resources.chat.completions", "AsyncCompletions", True),
    ],
    on_request=on_request,
    on_response=on_response,
    new_accumulator=ChatStreamAccumulator,
)
