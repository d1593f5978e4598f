"""The interface every exporter implements."""

from typing import Any, Dict, List, Optional


class ExportError(Exception):
    """A request to the collector failed (network error or non-2xx answer)."""


class Exporter:
    """Delivers span records (``agenttrace.v1.Span`` dicts) and session calls.

    :meth:`export` and :meth:`start_session` run on the SDK's worker thread,
    :meth:`end_session` on the caller's; failures are raised and the caller
    counts and logs them.
    """

    def export(self, spans: List[Dict[str, Any]]) -> int:
        """Send a batch; return how many spans the receiver took."""
        raise NotImplementedError

    def start_session(self, request: Dict[str, Any]) -> None:
        """Send a ``StartSessionRequest``."""

    def end_session(self, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """Send an ``EndSessionRequest``; return the collector's ``SessionSummary`` dict if it has one."""
        return None

    def shutdown(self) -> None:
        """Release sockets and connections; they are opened again if the exporter
        is used afterwards (a forked child drops those it inherited this way)."""
