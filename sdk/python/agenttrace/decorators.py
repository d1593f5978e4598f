"""The ``@trace`` decorator for sync and async functions."""

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Union

from .enums import SpanType

if TYPE_CHECKING:
    from .client import AgentTrace
    from .span import Span


def trace(
    func: Optional[Callable[..., Any]] = None,
    *,
    name: Optional[str] = None,
    span_type: Union[SpanType, str] = SpanType.CUSTOM,
    attributes: Optional[Mapping[str, Any]] = None,
    client: "Optional[AgentTrace]" = None,
) -> Any:
    """Run each call of the decorated function in a span.

    Use as ``@trace`` or ``@trace(span_type="tool_execution", name=...)``.
    The span is named after the function unless ``name`` is given; an
    exception is recorded and re-raised. Tool spans also record the tool name,
    the arguments as JSON input, the return value as output, and success.
    ``client`` defaults to the process-wide client, looked up at call time.
    Generator functions are not supported (the span would end when the
    generator is created).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        span_name = name or fn.__qualname__
        is_tool = _is_tool(span_type)
        signature = _signature(fn) if is_tool else None

        def start() -> "Span":
            from .client import get_client

            return (client or get_client()).start_span(span_name, span_type=span_type, attributes=attributes)

        def before(span: "Span", args: Any, kwargs: Any) -> None:
            if is_tool:
                span.set_tool(name=fn.__name__, input=_arguments(signature, args, kwargs))

        def after(span: "Span", result: Any) -> None:
            if is_tool:
                span.set_tool(output=result, success=True)

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with start() as span:
                    before(span, args, kwargs)
                    result = await fn(*args, **kwargs)
                    after(span, result)
                    return result

            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with start() as span:
                before(span, args, kwargs)
                result = fn(*args, **kwargs)
                after(span, result)
                return result

        return wrapper

    return decorate(func) if func is not None else decorate


def _is_tool(span_type: Union[SpanType, str]) -> bool:
    try:
        return SpanType.parse(span_type) == SpanType.TOOL_EXECUTION
    except ValueError:
        return False


def _signature(fn: Callable[..., Any]) -> Optional[inspect.Signature]:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _arguments(signature: Optional[inspect.Signature], args: Any, kwargs: Any) -> Dict[str, Any]:
    """The call's arguments by parameter name, without ``self`` / ``cls``."""
    if signature is not None:
        try:
            bound = signature.bind_partial(*args, **kwargs)
            return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}
        except TypeError:
            pass
    return {"args": list(args), "kwargs": kwargs}
