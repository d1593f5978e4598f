"""Span types and statuses of the native protocol (``agenttrace.v1``).

The integer values are the proto enum numbers (used by the protobuf encoder);
:attr:`proto_name` gives the names used by protobuf JSON.
"""

from enum import IntEnum
from typing import Any, Dict, List, Type, TypeVar, Union

_E = TypeVar("_E", bound="_ProtoEnum")

# Per enum class: every accepted name -> member, and member number -> proto name.
# Kept outside the classes, where Enum would turn them into members.
_BY_NAME: Dict[type, Dict[str, Any]] = {}
_PROTO_NAMES: Dict[type, List[str]] = {}


class _ProtoEnum(IntEnum):
    """An IntEnum whose members also parse from short or proto names."""

    @property
    def proto_name(self) -> str:
        """The enum value's name in the .proto file, e.g. ``SPAN_TYPE_LLM_CALL``."""
        return _PROTO_NAMES[type(self)][self]

    @classmethod
    def parse(cls: Type[_E], value: Union[str, int, "_ProtoEnum"]) -> _E:
        """Accept a member, its number, its short name (``"llm_call"``, any case) or proto name.

        Raises ValueError for an unknown value.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, int):
            return cls(value)
        names = _BY_NAME[cls]
        member = names.get(value) or names.get(str(value).strip().upper())
        if member is None:
            raise ValueError("unknown %s %r" % (cls.__name__, value))
        return member  # type: ignore[no-any-return]


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
    _PROTO_NAMES[cls] = [prefix + member.name for member in cls]
    _BY_NAME[cls] = {name: member for member in cls
                     for name in (member.name.lower(), member.name, prefix + member.name)}


_index(SpanType, "SPAN_TYPE_")
_index(SpanStatus, "SPAN_STATUS_")
