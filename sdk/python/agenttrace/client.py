"""The :class:`AgentTrace` client and the process-wide default client."""

import atexit
import socket
import threading
import time
import uuid
from typing import Any, Dict, Iterable, Mapping, Optional, Union

from ._log import WarnOnce, logger
from ._version import __version__
from .batch import BatchProcessor
from .config import Config
from .context import context_session, current_span, set_context_session
from .decorators import trace as _trace
from .enums import SpanStatus, SpanType
from .exporters import create_exporter
from .ids import new_span_id, new_trace_id
from .session import Session, normalize_summary
from .span import Span, SpanContext, parent_context


class AgentTrace:
    """Creates sessions and spans and ships them to the AgentTrace collector.

    Pass a :class:`~agenttrace.config.Config` or its fields as keyword
    arguments; unset fields come from ``AGENTTRACE_*`` environment variables.
    Nothing here raises into the agent or blocks it on the network, except
    :meth:`end_session` and :meth:`flush`, which wait at most their timeout.
    """

    def __init__(self, config: Optional[Config] = None, **options: Any) -> None:
        self.config = config if config is not None else Config.resolve(**options)
        self.sdk_version = __version__
        self.hostname = socket.gethostname()
        self._warn = WarnOnce()
        self._default_session: Optional[Session] = None
        self._processor: Optional[BatchProcessor] = None
        self._lock = threading.Lock()
        if not self.config.disabled:
            exporter = create_exporter(self.config, self.sdk_version)
            self._processor = BatchProcessor(exporter, self.config.max_queue_size, self.config.max_batch_size,
                                             self.config.schedule_delay, warn=self._warn)
            atexit.register(self.shutdown)

    # -- sessions ---------------------------------------------------------------

    def start_session(
        self,
        name: str = "",
        framework: str = "",
        tags: Optional[Iterable[str]] = None,
        session_id: Optional[str] = None,
        agent_name: str = "",
        user_id: str = "",
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> Session:
        """Start an agent run; spans started afterwards (in this context, or in
        plain threads) carry its id. The collector is told in the background."""
        session = Session(self, session_id or str(uuid.uuid4()), name=str(name), framework=str(framework),
                          tags=[str(t) for t in tags or ()], agent_name=str(agent_name), user_id=str(user_id),
                          metadata=metadata)
        set_context_session(session)
        self._default_session = session
        if self._processor is not None:
            exporter, request = self._processor.exporter, session.start_request()
            self._processor.submit(lambda: exporter.start_session(request))
        return session

    def current_session(self) -> Optional[Session]:
        """The session of this context, else the one started last, else None."""
        session = context_session()
        if session is None or session.end_time_ns:
            session = self._default_session
        return session if session is not None and not session.end_time_ns else None

    def end_session(self, session: Optional[Session] = None, status: Union[SpanStatus, str] = SpanStatus.OK,
                    timeout: Optional[float] = None) -> Dict[str, Any]:
        """End ``session`` (default: the current one) and return its summary.

        Queued spans are flushed first so the collector's totals include them.
        The summary is the collector's ``SessionSummary`` as a dict
        (``"source": "collector"``), or the SDK's own totals
        (``"source": "sdk"``) when the collector cannot answer. Ending a
        session twice returns the first summary; with no session, ``{}``.
        """
        session = session or self.current_session()
        if session is None:
            return {}
        with self._lock:
            if session.summary is not None:
                return session.summary
            session.end_time_ns = time.time_ns()
            session.summary = session.local_summary()
        if context_session() is session:
            set_context_session(None)
        if self._default_session is session:
            self._default_session = None
        if self._processor is not None:
            wait = self.config.timeout if timeout is None else timeout
            self._processor.flush(wait)
            try:
                status = SpanStatus.parse(status)
            except ValueError:
                status = SpanStatus.ERROR
            try:
                answer = self._processor.exporter.end_session(session.end_request(status))
                if answer is not None:
                    session.summary = normalize_summary(answer)
            except Exception as exc:  # the local summary stands in
                self._warn("delivery", "agenttrace: end_session failed, using local totals: %s", exc)
        return session.summary

    # -- spans ------------------------------------------------------------------

    def start_span(
        self,
        name: str,
        span_type: Union[SpanType, str, int] = SpanType.CUSTOM,
        parent: Union[Span, SpanContext, None] = None,
        attributes: Optional[Mapping[str, Any]] = None,
        tags: Optional[Iterable[str]] = None,
        model: Optional[str] = None,
        provider: Optional[str] = None,
        session: Optional[Session] = None,
        start_time_ns: Optional[int] = None,
    ) -> Span:
        """Start a span. Its parent is ``parent``, else the current span (a new
        trace when there is none). Use it as a (sync or async) context manager,
        or call :meth:`Span.end`. A RUNNING copy is sent at once for live views."""
        try:
            kind = SpanType.parse(span_type)
        except ValueError:
            self._warn("span_type", "agenttrace: unknown span type %r, using custom", span_type)
            kind = SpanType.CUSTOM
        if parent is None:
            parent = current_span()
        if parent is not None:
            trace_id, parent_id = parent_context(parent)
        else:
            trace_id, parent_id = new_trace_id(), ""
        span = Span(self, str(name), kind, trace_id, new_span_id(), parent_id,
                    session=session or self.current_session(), start_time_ns=start_time_ns)
        if model is not None or provider is not None:
            span.set_model(model or "", provider)
        if attributes:
            span.set_attributes(attributes)
        if tags:
            span.add_tags(*tags)
        if self._processor is not None and self.config.send_span_start:
            self._processor.enqueue(span.to_record())
        return span

    def _end_span(self, span: Span) -> None:
        """Called by :meth:`Span.end`: count the span in its session and queue it."""
        if span._session is not None:
            span._session.record_span(span)
        if self._processor is not None:
            self._processor.enqueue(span.to_record())

    def trace(self, func: Any = None, **options: Any) -> Any:
        """The :func:`agenttrace.trace` decorator bound to this client."""
        return _trace(func, client=self, **options)

    @staticmethod
    def current_span() -> Optional[Span]:
        """The span entered last in this context, or None."""
        return current_span()

    # -- delivery -----------------------------------------------------------------

    def flush(self, timeout: Optional[float] = 5.0) -> bool:
        """Export everything queued; False if ``timeout`` seconds passed first."""
        if self._processor is None:
            return True
        return self._processor.flush(timeout)

    def shutdown(self, timeout: Optional[float] = 5.0) -> None:
        """Flush and stop the background thread (also run at interpreter exit)."""
        if self._processor is not None:
            self._processor.shutdown(timeout)
            atexit.unregister(self.shutdown)

    def stats(self) -> Dict[str, int]:
        """Span records ``sent``, ``dropped`` (queue full), ``failed`` (export errors) and ``queued``.

        A span counts twice when span-start events are on (its RUNNING copy and its final record).
        """
        if self._processor is None:
            return {"sent": 0, "dropped": 0, "failed": 0, "queued": 0}
        return self._processor.stats()


_default_client: Optional[AgentTrace] = None
_default_lock = threading.Lock()


def init(config: Optional[Config] = None, **options: Any) -> AgentTrace:
    """Create the process-wide client (replacing and shutting down a previous one)."""
    global _default_client
    client = AgentTrace(config, **options)
    with _default_lock:
        previous, _default_client = _default_client, client
    if previous is not None:
        previous.shutdown()
    return client


def get_client() -> AgentTrace:
    """The process-wide client; created from the environment on first use if :func:`init` was not called."""
    global _default_client
    client = _default_client
    if client is None:
        with _default_lock:
            if _default_client is None:
                try:
                    _default_client = AgentTrace()
                except (TypeError, ValueError) as exc:  # a bad AGENTTRACE_* value
                    logger.warning("agenttrace: bad configuration (%s); tracing disabled", exc)
                    _default_client = AgentTrace(Config(disabled=True))
            client = _default_client
    return client
