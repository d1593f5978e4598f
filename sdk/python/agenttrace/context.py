"""The current span and session, carried by :mod:`contextvars`.

asyncio tasks and threads started through ``contextvars.copy_context().run``
see the span that was current where they were created; a plain new thread
starts with an empty context and so a new trace (pass ``parent=`` to link it).
"""

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .session import Session
    from .span import Span

_current_span: "ContextVar[Optional[Span]]" = ContextVar("agenttrace_span", default=None)
_current_session: "ContextVar[Optional[Session]]" = ContextVar("agenttrace_session", default=None)


def current_span() -> "Optional[Span]":
    """The span entered last in this context, or None."""
    return _current_span.get()


def attach_span(span: "Optional[Span]") -> "Token[Optional[Span]]":
    """Make ``span`` current; give the token back to :func:`detach_span`."""
    return _current_span.set(span)


def detach_span(token: "Token[Optional[Span]]", previous: "Optional[Span]") -> None:
    """Restore the span that was current before :func:`attach_span`.

    A token made in another context (a span entered in one task and left in
    another) cannot be reset; then ``previous`` is set instead.
    """
    try:
        _current_span.reset(token)
    except ValueError:
        _current_span.set(previous)


def context_session() -> "Optional[Session]":
    """The session set by ``start_session`` in this context, or None."""
    return _current_session.get()


def set_context_session(session: "Optional[Session]") -> None:
    """Set the session of this context (and of tasks created from it)."""
    _current_session.set(session)
