"""Provider-neutral parts of LLM client instrumentation.

A provider module describes its client in a :class:`Provider`: which
``create`` methods to patch, how to read the request, the response and
stream chunks into an :class:`LLMResult`. This module wraps the methods
(sync, async, streaming) and writes results onto spans. Nothing here raises
into the caller: SDK-side failures are logged at debug level and the
provider call goes on untouched.
"""

import functools
import importlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from .._log import logger
from ..enums import SpanType
from ..span import Span

if TYPE_CHECKING:
    from ..client import AgentTrace

_NOT_GIVEN_TYPES = ("NotGiven", "Omit")


def get_field(obj: Any, name: str) -> Any:
    """``obj.name`` or ``obj[name]`` (SDK objects or plain dicts), else None."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def given(value: Any) -> Any:
    """None for the SDKs' ``NOT_GIVEN`` / ``omit`` sentinels, else the value."""
    return None if type(value).__name__ in _NOT_GIVEN_TYPES else value


def jsonable(value: Any) -> Any:
    """Make request content (dicts, lists, pydantic models) JSON-serializable."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if given(v) is not None}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return jsonable(dump())
        except Exception:
            pass
    return str(value)


@dataclass
class ToolCallRequest:
    """A tool call the model asked for."""

    call_id: str
    name: str
    arguments: str


@dataclass
class LLMResult:
    """What a response (or an accumulated stream) tells about an LLM call."""

    model: str = ""
    response_id: str = ""
    stop_reason: str = ""
    text: str = ""
    usage: Optional[Dict[str, int]] = None  # exclusive buckets, as Span.set_token_usage takes them
    tool_calls: List[ToolCallRequest] = field(default_factory=list)


def apply_result(span: Span, result: LLMResult) -> None:
    """Write an :class:`LLMResult` onto the span."""
    if result.model:
        span.set_model(result.model)
    if result.response_id:
        span.set_attribute("gen_ai.response.id", result.response_id)
    if result.stop_reason:
        span.set_request(stop_reason=result.stop_reason)
    if result.usage is not None:
        span.set_token_usage(**result.usage)
    if result.text:
        span.set_response(result.text)
    for call in result.tool_calls:
        attributes = {"gen_ai.tool.name": call.name, "gen_ai.tool.call.id": call.call_id}
        if span.capture_content:
            attributes["gen_ai.tool.call.arguments"] = call.arguments
        span.add_event("gen_ai.tool.call", attributes)


def request_preview(payload: Any) -> str:
    """The prompt as JSON text (the span bounds its length)."""
    return json.dumps(jsonable(payload), ensure_ascii=False, default=str)


class StreamAccumulator:
    """Collects stream chunks; :meth:`result` summarizes them."""

    def add(self, chunk: Any) -> None:
        """Take one chunk / event of the stream."""
        raise NotImplementedError

    def result(self) -> LLMResult:
        """The call's result from the chunks seen so far."""
        raise NotImplementedError


@dataclass
class Provider:
    """How to instrument one provider's client library."""

    name: str  # the span's provider, e.g. "anthropic"
    targets: List[Tuple[str, str, bool]]  # (module, class, is_async); the method patched is "create"
    on_request: Callable[[Span, Dict[str, Any]], None]
    on_response: Callable[[Any], LLMResult]
    new_accumulator: Callable[[], StreamAccumulator]


# -- spans around calls ------------------------------------------------------------


def _start(provider: Provider, get_client: "Callable[[], AgentTrace]", kwargs: Dict[str, Any]) -> Optional[Span]:
    try:
        model = str(given(kwargs.get("model")) or "")
        span = get_client().start_span("chat " + model if model else "chat", span_type=SpanType.LLM_CALL,
                                       model=model, provider=provider.name)
    except Exception as exc:
        logger.debug("agenttrace: could not start %s span: %s", provider.name, exc)
        return None
    try:
        if model:
            span.set_attribute("gen_ai.request.model", model)
        provider.on_request(span, kwargs)
    except Exception as exc:
        logger.debug("agenttrace: could not read %s request: %s", provider.name, exc)
    return span


def _fail(span: Span, exc: BaseException) -> None:
    try:
        span.record_error(exc)
        span.end()
    except Exception as inner:
        logger.debug("agenttrace: could not record error: %s", inner)


def _finish(provider: Provider, span: Span, response: Any, streaming: bool, proxy: type) -> Any:
    """Return what the caller gets: the response, or a proxy around the stream."""
    try:
        if streaming:
            return proxy(response, span, provider.new_accumulator())
        apply_result(span, provider.on_response(response))
    except Exception as exc:
        logger.debug("agenttrace: could not read %s response: %s", provider.name, exc)
    span.end()
    return response


def wrap_create(original: Callable[..., Any], provider: Provider, get_client: "Callable[[], AgentTrace]",
                is_async: bool) -> Callable[..., Any]:
    """Wrap a ``create`` method so each call runs in an LLM span."""
    if is_async:
        @functools.wraps(original)
        async def async_create(self: Any, *args: Any, **kwargs: Any) -> Any:
            span = _start(provider, get_client, kwargs)
            if span is None:
                return await original(self, *args, **kwargs)
            try:
                response = await original(self, *args, **kwargs)
            except BaseException as exc:
                _fail(span, exc)
                raise
            return _finish(provider, span, response, bool(given(kwargs.get("stream"))), AsyncStreamProxy)

        return async_create

    @functools.wraps(original)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        span = _start(provider, get_client, kwargs)
        if span is None:
            return original(self, *args, **kwargs)
        try:
            response = original(self, *args, **kwargs)
        except BaseException as exc:
            _fail(span, exc)
            raise
        return _finish(provider, span, response, bool(given(kwargs.get("stream"))), StreamProxy)

    return create


# -- streams -------------------------------------------------------------------------


class _StreamProxyBase:
    """Passes a provider stream through, feeding chunks to an accumulator and
    ending the span when the stream ends, fails, is closed or is dropped."""

    def __init__(self, stream: Any, span: Span, accumulator: StreamAccumulator) -> None:
        self._stream = stream
        self._span = span
        self._accumulator = accumulator
        self._iterator: Any = None
        self._first = True
        self._done = False

    def __getattr__(self, name: str) -> Any:
        # Only called for names the proxy lacks: they belong to the wrapped stream.
        stream = self.__dict__.get("_stream")
        if stream is None:
            raise AttributeError(name)
        return getattr(stream, name)

    def _add(self, chunk: Any) -> None:
        try:
            if self._first:
                self._first = False
                self._span.add_event("first_token")
            self._accumulator.add(chunk)
        except Exception as exc:
            logger.debug("agenttrace: could not read stream chunk: %s", exc)

    def _end(self, exc: Optional[BaseException] = None) -> None:
        if self._done:
            return
        self._done = True
        try:
            apply_result(self._span, self._accumulator.result())
            if exc is not None:
                self._span.record_error(exc)
            self._span.end()
        except Exception as inner:
            logger.debug("agenttrace: could not end stream span: %s", inner)

    def __del__(self) -> None:
        if "_done" in self.__dict__:
            self._end()


class StreamProxy(_StreamProxyBase):
    """Wraps a sync stream (iterator, context manager, ``close()``)."""

    def __iter__(self) -> "StreamProxy":
        return self

    def __next__(self) -> Any:
        if self._iterator is None:
            self._iterator = iter(self._stream)
        try:
            chunk = next(self._iterator)
        except StopIteration:
            self._end()
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        self._add(chunk)
        return chunk

    def __enter__(self) -> "StreamProxy":
        enter = getattr(self._stream, "__enter__", None)
        if enter is not None:
            enter()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        self._end(exc_info[1])
        exit_ = getattr(self._stream, "__exit__", None)
        return exit_(*exc_info) if exit_ is not None else None

    def close(self) -> None:
        """End the span and close the underlying stream."""
        self._end()
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class AsyncStreamProxy(_StreamProxyBase):
    """Wraps an async stream (async iterator, async context manager, ``close()``)."""

    def __aiter__(self) -> "AsyncStreamProxy":
        return self

    async def __anext__(self) -> Any:
        if self._iterator is None:
            self._iterator = self._stream.__aiter__()
        try:
            chunk = await self._iterator.__anext__()
        except StopAsyncIteration:
            self._end()
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        self._add(chunk)
        return chunk

    async def __aenter__(self) -> "AsyncStreamProxy":
        enter = getattr(self._stream, "__aenter__", None)
        if enter is not None:
            await enter()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        self._end(exc_info[1])
        exit_ = getattr(self._stream, "__aexit__", None)
        return await exit_(*exc_info) if exit_ is not None else None

    async def close(self) -> None:
        """End the span and close the underlying stream."""
        self._end()
        close = getattr(self._stream, "close", None)
        if close is not None:
            await close()


# -- patching ------------------------------------------------------------------------

_PATCH_MARK = "__agenttrace_original__"


def patch_provider(provider: Provider, get_client: "Callable[[], AgentTrace]") -> bool:
    """Patch every target of ``provider`` that can be imported; True if any was.

    Patching again replaces the earlier wrapper (e.g. to use another client).
    """
    patched = False
    for cls, is_async in _target_classes(provider):
        current = cls.__dict__.get("create")
        if current is None:
            continue
        original = getattr(current, _PATCH_MARK, current)
        wrapper = wrap_create(original, provider, get_client, is_async)
        setattr(wrapper, _PATCH_MARK, original)
        setattr(cls, "create", wrapper)
        patched = True
    return patched


def unpatch_provider(provider: Provider) -> None:
    """Restore the original methods of ``provider``'s targets."""
    for cls, _ in _target_classes(provider):
        original = getattr(cls.__dict__.get("create"), _PATCH_MARK, None)
        if original is not None:
            setattr(cls, "create", original)


def _target_classes(provider: Provider) -> List[Tuple[type, bool]]:
    """The target classes that can be imported (the library may be absent)."""
    found = []
    for module_name, class_name, is_async in provider.targets:
        try:
            found.append((getattr(importlib.import_module(module_name), class_name), is_async))
        except Exception:  # not installed, or broken: nothing to patch
            continue
    return found
