"""AgentTrace Python SDK: observability for AI agents.

Quick start::

    import agenttrace
    agenttrace.init(service_name="my-agent")
    with agenttrace.start_span("plan", span_type="reasoning"):
        ...

Module-level functions use the process-wide client (see :func:`init`).
"""

from typing import Any, Dict, Optional

from ._version import __version__
from .client import AgentTrace, get_client, init
from .config import Config
from .context import current_span
from .decorators import trace
from .enums import SpanStatus, SpanType
from .instrumentation import instrument, uninstrument
from .session import Session
from .span import Span, SpanContext

__all__ = [
    "AgentTrace", "Config", "Session", "Span", "SpanContext", "SpanStatus", "SpanType", "__version__",
    "current_span", "end_session", "flush", "get_client", "init", "instrument", "shutdown", "start_session",
    "start_span", "stats", "trace", "uninstrument",
]


def start_session(*args: Any, **kwargs: Any) -> Session:
    """:meth:`AgentTrace.start_session` on the process-wide client."""
    return get_client().start_session(*args, **kwargs)


def end_session(*args: Any, **kwargs: Any) -> Dict[str, Any]:
    """:meth:`AgentTrace.end_session` on the process-wide client."""
    return get_client().end_session(*args, **kwargs)


def start_span(*args: Any, **kwargs: Any) -> Span:
    """:meth:`AgentTrace.start_span` on the process-wide client."""
    return get_client().start_span(*args, **kwargs)


def flush(timeout: Optional[float] = 5.0) -> bool:
    """:meth:`AgentTrace.flush` on the process-wide client."""
    return get_client().flush(timeout)


def stats() -> Dict[str, int]:
    """:meth:`AgentTrace.stats` of the process-wide client."""
    return get_client().stats()


def shutdown(timeout: Optional[float] = 5.0) -> None:
    """:meth:`AgentTrace.shutdown` of the process-wide client."""
    get_client().shutdown(timeout)
