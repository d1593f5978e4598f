"""Stand-ins for the ``anthropic`` and ``openai`` client libraries.

Neither library is installed here, so these modules are injected into
``sys.modules`` under the real module paths (``anthropic.resources.messages``,
``openai.resources.chat.completions``) with classes shaped like the real SDKs':
a ``create`` method taking keyword arguments, response objects with the same
attribute names, and stream objects that iterate events/chunks and are
(async) context managers with ``close()``.
"""

import sys
import types
from types import SimpleNamespace as O
from typing import Any, Dict, List


class NotGiven:
    """Like ``anthropic.NOT_GIVEN`` / ``openai.NOT_GIVEN``."""

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()


class RateLimitError(Exception):
    """Like ``anthropic.RateLimitError``."""


class FakeStream:
    """Like ``anthropic.Stream`` / ``openai.Stream``."""

    def __init__(self, items: List[Any]) -> None:
        self._items = items
        self.response = O(status_code=200)
        self.closed = False

    def __iter__(self):
        for item in self._items:
            if self.closed:
                return
            yield item

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.closed = True


class FakeAsyncStream(FakeStream):
    """Like ``anthropic.AsyncStream`` / ``openai.AsyncStream``."""

    async def _agen(self):
        for item in self._items:
            if self.closed:
                return
            yield item

    def __aiter__(self):
        return self._agen()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def close(self) -> None:
        self.closed = True


# -- anthropic ------------------------------------------------------------------------

def anthropic_message(**overrides: Any) -> Any:
    message = O(
        id="msg_01",
        type="message",
        role="assistant",
        model="claude-sonnet-4-20250514",
        content=[O(type="thinking", thinking="hmm"), O(type="text", text="Let me search."),
                 O(type="tool_use", id="toolu_01", name="search", input={"q": "cats"})],
        stop_reason="tool_use",
        usage=O(input_tokens=100, output_tokens=50, cache_read_input_tokens=1000,
                cache_creation_input_tokens=300,
                cache_creation=O(ephemeral_5m_input_tokens=200, ephemeral_1h_input_tokens=100)),
    )
    for key, value in overrides.items():
        setattr(message, key, value)
    return message


def anthropic_events() -> List[Any]:
    start = anthropic_message(content=[], stop_reason=None,
                              usage=O(input_tokens=100, output_tokens=1, cache_read_input_tokens=1000,
                                      cache_creation_input_tokens=0, cache_creation=None))
    return [
        O(type="message_start", message=start),
        O(type="content_block_start", index=0, content_block=O(type="text", text="")),
        O(type="content_block_delta", index=0, delta=O(type="text_delta", text="Hel")),
        O(type="content_block_delta", index=0, delta=O(type="text_delta", text="lo")),
        O(type="content_block_stop", index=0),
        O(type="content_block_start", index=1, content_block=O(type="tool_use", id="toolu_02", name="calc", input={})),
        O(type="content_block_delta", index=1, delta=O(type="input_json_delta", partial_json='{"x": ')),
        O(type="content_block_delta", index=1, delta=O(type="input_json_delta", partial_json="2}")),
        O(type="content_block_stop", index=1),
        O(type="message_delta", delta=O(stop_reason="end_turn", stop_sequence=None),
          usage=O(output_tokens=42, input_tokens=None, cache_read_input_tokens=None)),
        O(type="message_stop"),
    ]


class Messages:
    """Like ``anthropic.resources.messages.Messages``."""

    calls: List[Dict[str, Any]] = []
    fail_with: Any = None

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def create(self, *, max_tokens: int, messages: List[Any], model: str, stream: Any = NOT_GIVEN,
               **kwargs: Any) -> Any:
        Messages.calls.append(dict(kwargs, model=model, stream=stream))
        if Messages.fail_with is not None:
            raise Messages.fail_with
        if stream is True:
            return FakeStream(anthropic_events())
        return anthropic_message()


class AsyncMessages:
    """Like ``anthropic.resources.messages.AsyncMessages``."""

    async def create(self, *, max_tokens: int, messages: List[Any], model: str, stream: Any = NOT_GIVEN,
                     **kwargs: Any) -> Any:
        if stream is True:
            return FakeAsyncStream(anthropic_events())
        return anthropic_message()


# -- openai ---------------------------------------------------------------------------

def openai_usage(prompt: int = 1200, completion: int = 300, cached: int = 1000, reasoning: int = 200) -> Any:
    return O(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion,
             prompt_tokens_details=O(cached_tokens=cached, audio_tokens=0),
             completion_tokens_details=O(reasoning_tokens=reasoning, audio_tokens=0))


def openai_completion() -> Any:
    tool_call = O(id="call_1", type="function", function=O(name="get_weather", arguments='{"city":"Paris"}'))
    message = O(role="assistant", content="Checking.", tool_calls=[tool_call])
    return O(id="chatcmpl-1", object="chat.completion", model="gpt-4o-mini-2024-07-18",
             choices=[O(index=0, message=message, finish_reason="tool_calls")], usage=openai_usage())


def openai_chunks(include_usage: bool) -> List[Any]:
    def chunk(delta: Any, finish: Any = None) -> Any:
        return O(id="chatcmpl-2", model="gpt-4o-2024-08-06", usage=None,
                 choices=[O(index=0, delta=delta, finish_reason=finish)])

    chunks = [
        chunk(O(role="assistant", content="", tool_calls=None)),
        chunk(O(content="Bon", tool_calls=None)),
        chunk(O(content="jour", tool_calls=None)),
        chunk(O(content=None, tool_calls=[O(index=0, id="call_9", function=O(name="lookup", arguments='{"a"'))])),
        chunk(O(content=None, tool_calls=[O(index=0, id=None, function=O(name=None, arguments=":1}"))])),
        chunk(O(content=None, tool_calls=None), finish="stop"),
    ]
    if include_usage:
        chunks.append(O(id="chatcmpl-2", model="gpt-4o-2024-08-06", choices=[],
                        usage=openai_usage(prompt=50, completion=20, cached=0, reasoning=0)))
    return chunks


class Completions:
    """Like ``openai.resources.chat.completions.Completions``."""

    def create(self, *, messages: List[Any], model: str, stream: Any = NOT_GIVEN, **kwargs: Any) -> Any:
        if stream is True:
            include = bool((kwargs.get("stream_options") or {}).get("include_usage"))
            return FakeStream(openai_chunks(include))
        return openai_completion()


class AsyncCompletions:
    """Like ``openai.resources.chat.completions.AsyncCompletions``."""

    async def create(self, *, messages: List[Any], model: str, stream: Any = NOT_GIVEN, **kwargs: Any) -> Any:
        if stream is True:
            include = bool((kwargs.get("stream_options") or {}).get("include_usage"))
            return FakeAsyncStream(openai_chunks(include))
        return openai_completion()


def install(monkeypatch: Any) -> None:
    """Put the stand-in modules into ``sys.modules`` for one test."""
    def module(name: str, **attrs: Any) -> None:
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, mod)

    module("anthropic", NOT_GIVEN=NOT_GIVEN, RateLimitError=RateLimitError)
    module("anthropic.resources")
    module("anthropic.resources.messages", Messages=Messages, AsyncMessages=AsyncMessages)
    module("openai", NOT_GIVEN=NOT_GIVEN)
    module("openai.resources")
    module("openai.resources.chat")
    module("openai.resources.chat.completions", Completions=Completions, AsyncCompletions=AsyncCompletions)
