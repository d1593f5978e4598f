"""The :class:`Span`: one step of an agent run, as the user and instrumentation see it.

A span is mutable until :meth:`Span.end`; :meth:`Span.to_record` snapshots it
as a dict with the protobuf-JSON field names of ``agenttrace.v1.Span``, which
the exporters serialize (JSON or protobuf).
"""

import asyncio
import concurrent.futures
import json
import math
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple, Union

from .context import attach_span, current_span, detach_span
from .enums import SpanStatus, SpanType

if TYPE_CHECKING:
    from contextvars import Token

    from .client import AgentTrace
    from .session import Session

_TIMEOUT_ERRORS = (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError)
_UNSET_STATUSES = (SpanStatus.UNSPECIFIED, SpanStatus.RUNNING)


class SpanContext(NamedTuple):
    """The ids that identify a span; pass it (or the span) as ``parent=``."""

    trace_id: str
    span_id: str


def to_text(value: Any) -> str:
    """Strings as they are; anything else as JSON (``str()`` for what JSON can't hold)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def bound_text(value: Any, limit: int) -> str:
    """``value`` as text, cut to at most ``limit`` characters (ending in an ellipsis)."""
    text = to_text(value)
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "\u2026"


def attribute_value(value: Any) -> Any:
    """Convert to what ``google.protobuf.Value`` and JSON can carry.

    None, bool, int, str, finite floats, lists and string-keyed dicts of those
    are kept; anything else becomes its ``str()``.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [attribute_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): attribute_value(v) for k, v in value.items()}
    return str(value)


def _finite_float(value: Any) -> float:
    """``float(value)``; ValueError for NaN and infinities, which JSON cannot carry."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number: %r" % value)
    return number


def as_count(value: Any) -> int:
    """A count (tokens, bytes …) as a non-negative int; None and junk are 0."""
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


class Span:
    """One step of an agent run. Create spans with ``AgentTrace.start_span``.

    Usable as a sync or async context manager: entering makes it the current
    span (the parent of spans started inside), leaving ends it and records an
    exception that escapes the block. The setters never raise.
    """

    __slots__ = (
        "_client", "_session", "_token", "_previous", "_max_chars", "_capture",
        "trace_id", "span_id", "parent_span_id", "name", "span_type", "status", "status_message",
        "error_code", "start_time_ns", "end_time_ns", "model", "provider", "request", "prompt",
        "response", "tool", "file", "events", "usage", "reported_cost_usd", "framework",
        "framework_version", "agent_name", "user_id", "tags", "attributes",
    )

    def __init__(
        self,
        client: "AgentTrace",
        name: str,
        span_type: SpanType,
        trace_id: str,
        span_id: str,
        parent_span_id: str = "",
        session: "Optional[Session]" = None,
        start_time_ns: Optional[int] = None,
    ) -> None:
        config = client.config
        self._client = client
        self._session = session
        self._token: "Optional[Token[Optional[Span]]]" = None
        self._previous: Optional[Span] = None
        self._max_chars = config.max_content_chars
        self._capture = config.capture_content
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_span_id = parent_span_id
        self.name = name
        self.span_type = span_type
        self.status = SpanStatus.RUNNING
        self.status_message = ""
        self.error_code = ""
        self.start_time_ns = start_time_ns or time.time_ns()
        self.end_time_ns = 0
        self.model = ""
        self.provider = ""
        self.request: Dict[str, Any] = {}
        self.prompt = ""
        self.response = ""
        self.tool: Dict[str, Any] = {}
        self.file: Dict[str, Any] = {}
        self.events: List[Dict[str, Any]] = []
        self.usage: Dict[str, int] = {}
        self.reported_cost_usd: Optional[float] = None
        self.framework = session.framework if session and session.framework else config.framework
        self.framework_version = config.framework_version
        self.agent_name = session.agent_name if session and session.agent_name else config.agent_name
        self.user_id = session.user_id if session and session.user_id else config.user_id
        self.tags: List[str] = []
        self.attributes: Dict[str, Any] = {}

    # -- identity -----------------------------------------------------------

    @property
    def context(self) -> SpanContext:
        """The span's trace and span ids."""
        return SpanContext(self.trace_id, self.span_id)

    @property
    def session_id(self) -> str:
        """The id of the session the span belongs to, or ``""``."""
        return self._session.session_id if self._session else ""

    @property
    def capture_content(self) -> bool:
        """Whether prompts, responses and tool arguments are recorded."""
        return self._capture

    @property
    def ended(self) -> bool:
        """True once :meth:`end` was called."""
        return self.end_time_ns != 0

    # -- setters --------------------------------------------------------------

    def set_attribute(self, key: str, value: Any) -> "Span":
        """Set a free attribute (numbers, strings, bools, lists, dicts; else ``str()``)."""
        self.attributes[str(key)] = attribute_value(value)
        return self

    def set_attributes(self, attributes: Mapping[str, Any]) -> "Span":
        """Set several free attributes."""
        for key, value in attributes.items():
            self.set_attribute(key, value)
        return self

    def add_event(self, name: str, attributes: Optional[Mapping[str, Any]] = None,
                  time_ns: Optional[int] = None) -> "Span":
        """Record a point in time inside the span; attribute values become text."""
        event: Dict[str, Any] = {"name": str(name), "time_unix_nano": time_ns or time.time_ns()}
        if attributes:
            event["attributes"] = {str(k): bound_text(v, self._max_chars) for k, v in attributes.items()}
        self.events.append(event)
        return self

    def add_tags(self, *tags: str) -> "Span":
        """Add tags to the span."""
        self.tags.extend(str(t) for t in tags)
        return self

    def set_model(self, model: str, provider: Optional[str] = None) -> "Span":
        """Set the model (and provider) of an LLM call."""
        self.model = str(model or "")
        if provider is not None:
            self.provider = str(provider)
        return self

    def set_prompt(self, prompt: Any) -> "Span":
        """Set the prompt text (non-strings as JSON); bounded, skipped without content capture."""
        if self._capture and prompt is not None:
            self.prompt = bound_text(prompt, self._max_chars)
        return self

    def set_response(self, response: Any) -> "Span":
        """Set the response text (non-strings as JSON); bounded, skipped without content capture."""
        if self._capture and response is not None:
            self.response = bound_text(response, self._max_chars)
        return self

    def set_request(
        self,
        temperature: Optional[float] = None,
        max_tokens: Optional[int] = None,
        top_p: Optional[float] = None,
        thinking_enabled: Optional[bool] = None,
        thinking_budget_tokens: Optional[int] = None,
        stop_reason: Optional[str] = None,
    ) -> "Span":
        """Set the LLM request parameters and the response's stop reason; None leaves a field as is."""
        fields: Tuple[Tuple[str, Any, Callable[[Any], Any]], ...] = (
            ("temperature", temperature, _finite_float),
            ("max_tokens", max_tokens, int),
            ("top_p", top_p, _finite_float),
            ("thinking_enabled", thinking_enabled, bool),
            ("thinking_budget_tokens", thinking_budget_tokens, int),
            ("stop_reason", stop_reason, str),
        )
        for key, value, convert in fields:
            if value is not None:
                try:
                    self.request[key] = convert(value)
                except (TypeError, ValueError):
                    pass
        return self

    def set_token_usage(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        cache_write_1h_tokens: int = 0,
        reasoning_tokens: int = 0,
    ) -> "Span":
        """Set token usage in EXCLUSIVE buckets.

        ``input_tokens`` excludes cache reads and writes; ``output_tokens``
        excludes reasoning tokens; ``cache_write_tokens`` is the 5 minute TTL
        cache write, ``cache_write_1h_tokens`` the 1 hour one.
        """
        self.usage = {
            "input_tokens": as_count(input_tokens),
            "output_tokens": as_count(output_tokens),
            "cache_read_tokens": as_count(cache_read_tokens),
            "cache_write_tokens": as_count(cache_write_tokens),
            "cache_write_1h_tokens": as_count(cache_write_1h_tokens),
            "reasoning_tokens": as_count(reasoning_tokens),
        }
        return self

    def set_cost(self, usd: float) -> "Span":
        """Record a cost reported by the provider or framework, in US dollars."""
        try:
            self.reported_cost_usd = _finite_float(usd)
        except (TypeError, ValueError):
            pass
        return self

    def set_tool(
        self,
        name: Optional[str] = None,
        call_id: Optional[str] = None,
        input: Any = None,
        output: Any = None,
        success: Optional[bool] = None,
    ) -> "Span":
        """Describe a tool execution; input and output are kept only with content capture."""
        if name is not None:
            self.tool["name"] = str(name)
        if call_id is not None:
            self.tool["call_id"] = str(call_id)
        if input is not None and self._capture:
            self.tool["input"] = bound_text(input, self._max_chars)
        if output is not None and self._capture:
            self.tool["output"] = bound_text(output, self._max_chars)
        if success is not None:
            self.tool["success"] = bool(success)
        return self

    def set_file(self, path: str, operation: str = "", bytes: int = 0, lines: int = 0) -> "Span":
        """Describe a file read or write."""
        self.file = {"path": str(path), "operation": str(operation), "bytes": as_count(bytes), "lines": as_count(lines)}
        return self

    def set_status(self, status: Union[SpanStatus, str, int], message: str = "") -> "Span":
        """Set the outcome (``ok``, ``error``, ``cancelled``, ``timeout``) and a message."""
        try:
            self.status = SpanStatus.parse(status)
        except ValueError:
            self.status = SpanStatus.ERROR
        if message:
            self.status_message = str(message)
        return self

    def record_error(self, error: Union[BaseException, str], error_code: Optional[str] = None) -> "Span":
        """Mark the span failed with an error code (the exception type) and message.

        Cancellation gives status ``cancelled``, a timeout ``timeout``.
        """
        if isinstance(error, BaseException):
            code = error_code or type(error).__name__
            message = str(error)
            if isinstance(error, _TIMEOUT_ERRORS):
                status = SpanStatus.TIMEOUT
            elif isinstance(error, Exception):
                status = SpanStatus.ERROR
            else:  # CancelledError, KeyboardInterrupt, SystemExit, GeneratorExit
                status = SpanStatus.CANCELLED
            stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            self.add_event("exception", {"exception.type": code, "exception.message": message,
                                         "exception.stacktrace": stack})
        else:
            code, message, status = error_code or "error", str(error), SpanStatus.ERROR
        self.status = status
        self.error_code = code
        self.status_message = message[: self._max_chars]
        if self.span_type == SpanType.TOOL_EXECUTION:
            self.tool["success"] = False
        return self

    # -- lifecycle ------------------------------------------------------------

    def end(self, end_time_ns: Optional[int] = None) -> None:
        """Finish the span and hand it to the exporter; later calls do nothing."""
        if self.end_time_ns:
            return
        self.end_time_ns = max(end_time_ns or time.time_ns(), self.start_time_ns)
        if self.status in _UNSET_STATUSES:
            self.status = SpanStatus.OK
        self._client._end_span(self)

    def __enter__(self) -> "Span":
        self._previous = current_span()
        self._token = attach_span(self)
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc is not None:
            self.record_error(exc)
        self.end()
        if self._token is not None:
            detach_span(self._token, self._previous)
            self._token = None

    async def __aenter__(self) -> "Span":
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    # -- export ---------------------------------------------------------------

    def to_record(self) -> Dict[str, Any]:
        """Snapshot as an ``agenttrace.v1.Span`` dict (protobuf-JSON names, defaults omitted)."""
        record: Dict[str, Any] = {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "name": self.name,
            "type": self.span_type.proto_name,
            "status": self.status.proto_name,
            "start_time_unix_nano": self.start_time_ns,
            "sdk_version": self._client.sdk_version,
            "hostname": self._client.hostname,
        }
        if self.end_time_ns:
            record["end_time_unix_nano"] = self.end_time_ns
        if self._session is not None:
            record["session_id"] = self._session.session_id
        for key in ("parent_span_id", "status_message", "error_code", "model", "provider", "prompt",
                    "response", "framework", "framework_version", "agent_name", "user_id"):
            value = getattr(self, key)
            if value:
                record[key] = value
        for key in ("request", "tool", "file", "usage", "attributes"):
            value = getattr(self, key)
            if value:
                record[key] = dict(value)
        if self.events:
            record["events"] = list(self.events)
        if self.tags:
            record["tags"] = list(self.tags)
        if self.reported_cost_usd is not None:
            record["reported_cost_usd"] = self.reported_cost_usd
        return record

    def __repr__(self) -> str:
        return "Span(%r, type=%s, trace_id=%s, span_id=%s, status=%s)" % (
            self.name, self.span_type.name.lower(), self.trace_id, self.span_id, self.status.name.lower())


def parent_context(parent: Union["Span", SpanContext, Iterable[str]]) -> SpanContext:
    """Read (trace_id, span_id) from a Span, a SpanContext or a 2-sequence."""
    if isinstance(parent, Span):
        return parent.context
    trace_id, span_id = parent
    return SpanContext(str(trace_id), str(span_id))
