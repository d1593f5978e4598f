"""Span types and statuses of the native protocol (``agenttrace.v1``).

The integer values are the proto enum numbers (used by the protobuf encoder);
:attr:`proto_name` gives the names used by protobuf JSON.
"""

from enum import IntEnum
from typing import Type, TypeVar, Union

_E = TypeVar("_E", bound="_ProtoEnum")


class _ProtoEnum(IntEnum):
    """An IntEnum whose members also parse from short or proto names.

    Subclasses set ``_PREFIX`` after their definition (inside the class body it
    would become a member).
    """

    _PREFIX: str

    @property
    def proto_name(self) -> str:
        """The enum value's name in the .proto file, e.g. ``SPAN_TYPE_LLM_CALL``."""
        return self._PREFIX + self.name

    @classmethod
    def parse(cls: Type[_E], value: Union[str, int, "_ProtoEnum"]) -> _E:
        """Accept a member, its number, its short name (``"llm_call"``) or proto name.

        Raises ValueError for an unknown value.
        """
        if isinstance(value, cls):
            return value
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


SpanType._PREFIX = "SPAN_TYPE_"
SpanStatus._PREFIX = "SPAN_STATUS_"
