"""UDP exporter: one protobuf ``SpanBatch`` per datagram, fire-and-forget."""

import socket
from typing import Any, Dict, Iterator, List, Optional, Tuple

from .. import proto_wire
from .._log import WarnOnce
from .base import Exporter
from .http import HTTPTransport

#: Largest datagram sent; well below the 64 KiB UDP limit.
MAX_DATAGRAM_BYTES = 60_000

_TEXT_FIELDS = (("prompt",), ("response",), ("tool", "input"), ("tool", "output"))
_TEXT_CAPS = (4096, 1024, 256, 0)
_ENTRY_OVERHEAD = 6  # key byte + up to 5 length bytes of a SpanBatch.spans entry


class UDPExporter(Exporter):
    """Packs spans into datagrams below :data:`MAX_DATAGRAM_BYTES`.

    A span too large for one datagram has its prompt, response and tool
    input/output cut (then its events and attributes dropped) until it fits.
    Sessions go over HTTP (``sessions``), as UDP has no answers. ``api_key``
    travels in every datagram's ``SpanBatch.api_key`` (UDP has no headers).
    """

    def __init__(self, host: str, port: int, service_name: str, sdk_version: str,
                 sessions: Optional[HTTPTransport] = None,
                 max_datagram_bytes: int = MAX_DATAGRAM_BYTES, api_key: str = "") -> None:
        self._host, self._port = host, port
        self._header = proto_wire.encode_batch_header(service_name, sdk_version, api_key)
        self._budget = max_datagram_bytes - len(self._header)
        self._sessions = sessions
        self._sock: Optional[socket.socket] = None
        self._addr: Optional[Tuple[Any, ...]] = None
        self._warn = WarnOnce()

    def export(self, spans: List[Dict[str, Any]]) -> int:
        sock, addr = self._socket()
        sent = 0
        for datagram, count in self.datagrams(spans):
            sock.sendto(datagram, addr)
            sent += count
        return sent

    def datagrams(self, spans: List[Dict[str, Any]]) -> Iterator[Tuple[bytes, int]]:
        """Yield (datagram, number of spans in it); spans that cannot fit are left out."""
        entries: List[bytes] = []
        size = 0
        for span in spans:
            entry = self._entry(span)
            if entry is None:
                self._warn("too_large", "agenttrace: span %r too large for a UDP datagram, dropped",
                           str(span.get("name"))[:80])
                continue
            if entries and size + len(entry) > self._budget:
                yield self._header + b"".join(entries), len(entries)
                entries, size = [], 0
            entries.append(entry)
            size += len(entry)
        if entries:
            yield self._header + b"".join(entries), len(entries)

    def _entry(self, span: Dict[str, Any]) -> Optional[bytes]:
        limit = self._budget - _ENTRY_OVERHEAD
        encoded = proto_wire.encode_span(span)
        if len(encoded) <= limit:
            return proto_wire.batch_entry(encoded)
        for shrunk in _shrink(span):
            encoded = proto_wire.encode_span(shrunk)
            if len(encoded) <= limit:
                return proto_wire.batch_entry(encoded)
        return None

    def _socket(self) -> Tuple[socket.socket, Tuple[Any, ...]]:
        if self._sock is None or self._addr is None:
            family, kind, proto, _, addr = socket.getaddrinfo(self._host, self._port, type=socket.SOCK_DGRAM)[0]
            self._sock = socket.socket(family, kind, proto)
            self._addr = addr
        return self._sock, self._addr

    def start_session(self, request: Dict[str, Any]) -> None:
        if self._sessions is not None:
            self._sessions.start_session(request)

    def end_session(self, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        return self._sessions.end_session(request) if self._sessions is not None else None

    def shutdown(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _shrink(span: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    """Ever smaller copies of ``span``: text fields cut, then events and attributes dropped."""
    for cap in _TEXT_CAPS:
        copy = dict(span)
        if "tool" in copy:
            copy["tool"] = dict(copy["tool"])
        for path in _TEXT_FIELDS:
            holder = copy
            for key in path[:-1]:
                holder = holder.get(key) or {}
            text = holder.get(path[-1])
            if text and len(text) > cap:
                holder[path[-1]] = text[:cap]
        yield copy
    copy.pop("events", None)
    copy["attributes"] = {"agenttrace.truncated": True}
    yield copy
