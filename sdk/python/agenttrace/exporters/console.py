"""Console exporter: one JSON line per span record (and per session call)."""

import json
import sys
import threading
from typing import IO, Any, Dict, List, Optional

from .base import Exporter


class ConsoleExporter(Exporter):
    """Writes span records as JSON lines to a stream (stdout by default)."""

    def __init__(self, stream: Optional[IO[str]] = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def _write(self, obj: Dict[str, Any]) -> None:
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
            stream.flush()

    def export(self, spans: List[Dict[str, Any]]) -> int:
        for span in spans:
            self._write(span)
        return len(spans)

    def start_session(self, request: Dict[str, Any]) -> None:
        self._write({"session_start": request})

    def end_session(self, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        self._write({"session_end": request})
        return None
