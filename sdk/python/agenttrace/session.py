"""Sessions: one agent run, holding the traces it produced.

The collector totals a session and answers ``end_session`` with a
``SessionSummary``; the SDK keeps its own totals too, so a summary is
available when the collector cannot be reached (``"source": "sdk"``).
"""

import threading
import time
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Set

from .enums import SpanStatus, SpanType
from .span import as_count

if TYPE_CHECKING:
    from .client import AgentTrace
    from .span import Span

TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                "cache_write_1h_tokens", "reasoning_tokens")
_SUMMARY_INT_FIELDS = ("start_time_unix_nano", "end_time_unix_nano", "duration_ms", "span_count",
                       "trace_count", "llm_calls", "tool_calls", "error_count", "total_tokens",
                       "unpriced_spans")


def normalize_summary(raw: Mapping[str, Any]) -> Dict[str, Any]:
    """Turn a protobuf-JSON ``SessionSummary`` (int64 may be strings, zeros omitted)
    into a dict with every field, ints as ints, and ``"source": "collector"``."""
    summary: Dict[str, Any] = {
        "session_id": str(raw.get("session_id", "")),
        "name": str(raw.get("name", "")),
    }
    for key in _SUMMARY_INT_FIELDS:
        summary[key] = as_count(raw.get(key))
    tokens = raw.get("tokens") or {}
    summary["tokens"] = {key: as_count(tokens.get(key)) for key in TOKEN_FIELDS}
    if raw.get("cost_usd") is not None:
        summary["cost_usd"] = float(raw["cost_usd"])
    summary["source"] = "collector"
    return summary


class Session:
    """An agent run. Start one with ``AgentTrace.start_session``.

    Spans started while the session is current carry its id. Usable as a
    context manager: leaving ends the session (status error if an exception
    escapes) and stores the summary in :attr:`summary`.
    """

    def __init__(
        self,
        client: "AgentTrace",
        session_id: str,
        name: str = "",
        framework: str = "",
        tags: Optional[List[str]] = None,
        agent_name: str = "",
        user_id: str = "",
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self._client = client
        self.session_id = session_id
        self.name = name
        self.framework = framework
        self.tags = list(tags or [])
        self.agent_name = agent_name
        self.user_id = user_id
        self.metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
        self.start_time_ns = time.time_ns()
        self.end_time_ns = 0
        self.summary: Optional[Dict[str, Any]] = None
        self._lock = threading.Lock()
        self._trace_ids: Set[str] = set()
        self._span_count = 0
        self._llm_calls = 0
        self._tool_calls = 0
        self._errors = 0
        self._tokens = dict.fromkeys(TOKEN_FIELDS, 0)
        self._cost: Optional[float] = None

    def start_request(self) -> Dict[str, Any]:
        """The ``StartSessionRequest`` for this session."""
        request: Dict[str, Any] = {"session_id": self.session_id, "start_time_unix_nano": self.start_time_ns}
        for key in ("name", "framework", "tags", "agent_name", "user_id", "metadata"):
            value = getattr(self, key)
            if value:
                request[key] = value
        return request

    def end_request(self, status: SpanStatus) -> Dict[str, Any]:
        """The ``EndSessionRequest`` for this session."""
        return {"session_id": self.session_id, "end_time_unix_nano": self.end_time_ns, "status": status.proto_name}

    def record_span(self, span: "Span") -> None:
        """Add a finished span to the local totals."""
        with self._lock:
            self._span_count += 1
            self._trace_ids.add(span.trace_id)
            if span.span_type == SpanType.LLM_CALL:
                self._llm_calls += 1
            elif span.span_type == SpanType.TOOL_EXECUTION:
                self._tool_calls += 1
            if span.status == SpanStatus.ERROR:
                self._errors += 1
            for key, value in span.usage.items():
                self._tokens[key] += value
            if span.reported_cost_usd is not None:
                self._cost = (self._cost or 0.0) + span.reported_cost_usd

    def local_summary(self) -> Dict[str, Any]:
        """A ``SessionSummary``-shaped dict from what this process recorded."""
        with self._lock:
            end = self.end_time_ns or time.time_ns()
            summary: Dict[str, Any] = {
                "session_id": self.session_id,
                "name": self.name,
                "start_time_unix_nano": self.start_time_ns,
                "end_time_unix_nano": end,
                "duration_ms": (end - self.start_time_ns) // 1_000_000,
                "span_count": self._span_count,
                "trace_count": len(self._trace_ids),
                "llm_calls": self._llm_calls,
                "tool_calls": self._tool_calls,
                "error_count": self._errors,
                "tokens": dict(self._tokens),
                "total_tokens": sum(self._tokens.values()),
                "unpriced_spans": 0,
            }
            if self._cost is not None:
                summary["cost_usd"] = self._cost
        summary["source"] = "sdk"
        return summary

    def end(self, status: Any = SpanStatus.OK, timeout: Optional[float] = None) -> Dict[str, Any]:
        """End the session; same as ``client.end_session(self, status)``."""
        return self._client.end_session(self, status=status, timeout=timeout)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self.end(SpanStatus.OK if exc is None else SpanStatus.ERROR)

    def __repr__(self) -> str:
        return "Session(%r, id=%s)" % (self.name, self.session_id)
