"""The SDK's logger and a helper that logs each kind of problem once."""

import logging
import threading
from typing import Any, Set

logger = logging.getLogger("agenttrace")


class WarnOnce:
    """Logs a warning the first time a key is seen, later ones at debug level."""

    def __init__(self) -> None:
        self._seen: Set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, key: str, msg: str, *args: Any) -> None:
        with self._lock:
            first = key not in self._seen
            self._seen.add(key)
        logger.log(logging.WARNING if first else logging.DEBUG, msg, *args)
