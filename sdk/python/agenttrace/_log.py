"""The SDK's logger and a helper that logs each kind of problem once."""

import logging
import threading
from typing import Any, Set

logger = logging.getLogger("agenttrace")


class WarnOnce:
    """Logs a warning the first time a key is seen, later ones at debug level.

    Keys name a kind of problem: ``delivery`` (the collector cannot be
    reached), ``queue_full`` (spans dropped) and so on.
    """

    def __init__(self) -> None:
        self._seen: Set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, key: str, msg: str, *args: Any) -> None:
        with self._lock:
            first = key not in self._seen
            self._seen.add(key)
        if first:
            logger.warning(msg + " (repeats are logged at debug level)", *args)
        else:
            logger.debug(msg, *args)
