"""Span types and statuses of the native protocol (``agenttrace.v1``).

The integer values are the proto enum numbers (used by the protobuf encoder);
:attr:`proto_name` gives the names used by protobuf JSON.
"""

from enum import IntEnum
from typing import Any, Dict, Type, TypeVar, Union

_E = TypeVar("_E", bound="_ProtoEnum")


class _ProtoEnum(IntEnum):
    """An IntEnum whose members also parse from short or proto names.

    ``_PREFIX`` and the name indexes are set by ``_index`` after each subclass
    is defined (inside the class body they would become members).
    """

    _PREFIX: str
    _BY_NAME: Dict[str, Any]
    _PROTO_NAMES: Dict[Any, str]

    @property
    def proto_name(self) -> str:
        """The enum value's name in the .proto file, e.g. ``SPAN_TYPE_LLM_CALL``."""
        return self._PROTO_NAMES[self]

    @classmethod
    def parse(cls: Type[_E], value: Union[str, int, "_ProtoEnum"]) -> _E:
        """Accept a member, its number, its short name (``"llm_call"``) or proto name.

        Raises ValueError for an unknown value.
        """
        if isinstance(value, cls):
            return value
        member = cls._BY_NAME.get(value) if isinstance(value, str) else None
        if member is not None:
            return member  # type: ignore[no-any-return]
        if isinstance(value, int):
            return cls(value)
        name = str(value).strip().upper()
        if name.startswith(cls._PREFIX):
            name = name[len(cls._PREFIX):]
        try:
            return cls[name]
        except KeyError:
            raise ValueError("unknown %s %r" % (cls.__name__, value)) from None


class SpanType(_ProtoEnum):
    """The kind of step an agent performed."""

    UNSPECIFIED = 0
    TASK = 1
    AGENT = 2
    LLM_CALL = 3
    TOOL_EXECUTION = 4
    REASONING = 5
    RETRIEVAL = 6
    EMBEDDING = 7
    MEMORY_RETRIEVAL = 8
    MEMORY_STORE = 9
    FILE_READ = 10
    FILE_WRITE = 11
    API_CALL = 12
    CODE_EXECUTION = 13
    VERIFICATION = 14
    GUARDRAIL = 15
    CUSTOM = 16


class SpanStatus(_ProtoEnum):
    """The outcome of a step; RUNNING marks a span-start event."""

    UNSPECIFIED = 0
    RUNNING = 1
    OK = 2
    ERROR = 3
    CANCELLED = 4
    TIMEOUT = 5


def _index(cls: Type[_ProtoEnum], prefix: str) -> None:
    cls._PREFIX = prefix
    cls._BY_NAME = {}
    cls._PROTO_NAMES = {member: prefix + member.name for member in cls}
    for member in cls:
        for name in (member.name.lower(), member.name, prefix + member.name):
            cls._BY_NAME[name] = member


_index(SpanType, "SPAN_TYPE_")
_index(SpanStatus, "SPAN_STATUS_")
