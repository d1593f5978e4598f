"""HTTP exporter: JSON over the collector's native HTTP API, on TCP or a unix socket."""

import http.client
import json
import socket
from typing import Any, Callable, Dict, List, Optional, Type
from urllib.parse import urlsplit

from .._log import WarnOnce
from .base import ExportError, Exporter

_RETRYABLE = (http.client.RemoteDisconnected, http.client.CannotSendRequest, ConnectionResetError,
              BrokenPipeError)


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP/1.1 over an AF_UNIX stream socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class HTTPTransport:
    """POSTs JSON bodies to the collector and decodes the JSON answers.

    Give either ``endpoint`` (``http[s]://host:port[/prefix]``) or
    ``socket_path``. One kept-alive connection serves the worker thread
    (``keep_alive=True``); other callers get a fresh connection per request.
    """

    def __init__(self, endpoint: str = "", socket_path: str = "", api_key: str = "",
                 timeout: float = 2.0, user_agent: str = "agenttrace-python") -> None:
        self._connect: Callable[[], http.client.HTTPConnection]
        if socket_path:
            self._connect = lambda: _UnixHTTPConnection(socket_path, timeout)
            self._prefix = ""
            self.target = "unix:" + socket_path
        else:
            parts = urlsplit(endpoint)
            conn_class: Type[http.client.HTTPConnection] = (
                http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection)
            host, port = parts.hostname or "127.0.0.1", parts.port
            self._connect = lambda: conn_class(host, port, timeout=timeout)
            self._prefix = parts.path.rstrip("/")
            self.target = endpoint
        self._headers = {"Content-Type": "application/json", "User-Agent": user_agent}
        if api_key:
            self._headers["Authorization"] = "Bearer " + api_key
        self._conn: Optional[http.client.HTTPConnection] = None

    def post_json(self, path: str, body: Any, keep_alive: bool = False) -> Dict[str, Any]:
        """POST ``body`` as JSON to ``path``; return the decoded answer.

        Raises ExportError on a network error or a non-2xx status.
        """
        data = json.dumps(body, separators=(",", ":"), default=str).encode("utf-8")
        try:
            if not keep_alive:
                conn = self._connect()
                try:
                    return self._request(conn, path, data)
                finally:
                    conn.close()
            reused = self._conn is not None
            if self._conn is None:
                self._conn = self._connect()
            try:
                return self._request(self._conn, path, data)
            except _RETRYABLE:
                self.close()
                if not reused:
                    raise
                self._conn = self._connect()  # the server closed an idle connection: try once more
                return self._request(self._conn, path, data)
        except ExportError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.close()
            raise ExportError("%s%s: %s" % (self.target, path, exc or type(exc).__name__)) from exc

    def _request(self, conn: http.client.HTTPConnection, path: str, data: bytes) -> Dict[str, Any]:
        conn.request("POST", self._prefix + path, body=data, headers=self._headers)
        response = conn.getresponse()
        payload = response.read()
        if not 200 <= response.status < 300:
            raise ExportError("%s%s: HTTP %d %s" % (
                self.target, path, response.status, payload[:300].decode("utf-8", "replace").strip()))
        if not payload.strip():
            return {}
        answer = json.loads(payload)
        return answer if isinstance(answer, dict) else {}

    def start_session(self, request: Dict[str, Any], keep_alive: bool = False) -> None:
        """POST a ``StartSessionRequest`` to ``/v1/sessions/start``."""
        self.post_json("/v1/sessions/start", request, keep_alive=keep_alive)

    def end_session(self, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """POST an ``EndSessionRequest`` to ``/v1/sessions/end``; return the ``SessionSummary`` dict."""
        summary = self.post_json("/v1/sessions/end", request).get("summary")
        return summary if isinstance(summary, dict) else None

    def close(self) -> None:
        """Close the kept-alive connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class HTTPExporter(Exporter):
    """Sends ``SpanBatch`` JSON to ``POST /v1/spans`` and sessions to ``/v1/sessions/*``.

    With a transport on a unix socket this is the unix-socket exporter.
    """

    def __init__(self, transport: HTTPTransport, service_name: str, sdk_version: str) -> None:
        self._transport = transport
        self._service_name = service_name
        self._sdk_version = sdk_version
        self._warn = WarnOnce()

    def export(self, spans: List[Dict[str, Any]]) -> int:
        answer = self._transport.post_json(
            "/v1/spans",
            {"spans": spans, "service_name": self._service_name, "sdk_version": self._sdk_version},
            keep_alive=True,
        )
        rejected = int(answer.get("rejected") or 0)
        if rejected:
            self._warn("rejected", "agenttrace: the collector rejected %d span(s), e.g. %s",
                       rejected, (answer.get("errors") or [None])[0])
        return len(spans) - rejected

    def start_session(self, request: Dict[str, Any]) -> None:
        self._transport.start_session(request, keep_alive=True)  # on the worker thread, like export

    def end_session(self, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        return self._transport.end_session(request)

    def shutdown(self) -> None:
        self._transport.close()
