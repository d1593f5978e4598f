"""Trace and span ids: random lowercase hex from ``os.urandom``.

``os.urandom`` is a system call (about 1.5 us here), so each thread draws ids
from its own pool of random bytes, refilled 4 KiB at a time. A forked child
refills before its first id, so parent and child never share ids.
"""

import os
import threading

_POOL_BYTES = 4096
_local = threading.local()
_generation = 0  # bumped in a forked child: pools made before the fork are stale


def _after_fork() -> None:
    global _generation
    _generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _random_hex(nbytes: int) -> str:
    state = _local.__dict__
    pool = state.get("pool")
    pos = state.get("pos", 0)
    if pool is None or pos + nbytes > _POOL_BYTES or state.get("generation") != _generation:
        pool, pos = os.urandom(_POOL_BYTES), 0
        state["pool"], state["generation"] = pool, _generation
    state["pos"] = pos + nbytes
    return pool[pos:pos + nbytes].hex()


def new_trace_id() -> str:
    """32 lowercase hex digits, never all zero."""
    trace_id = _random_hex(16)
    return trace_id if trace_id.strip("0") else new_trace_id()


def new_span_id() -> str:
    """16 lowercase hex digits, never all zero."""
    span_id = _random_hex(8)
    return span_id if span_id.strip("0") else new_span_id()
