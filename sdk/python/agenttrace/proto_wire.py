"""A small protobuf (proto3 wire format) encoder for the ``agenttrace.v1`` messages.

Messages are given as dicts with the protobuf-JSON field names that
:meth:`agenttrace.span.Span.to_record` produces; enum fields take a member,
a number or a proto name. Schemas below mirror ``proto/agenttrace/v1/agenttrace.proto``.
Defaults of plain proto3 fields are skipped; ``optional`` fields are written
whenever they are present (not None). Unknown keys are ignored.
"""

import struct
from typing import Any, Dict, Iterable, List, Mapping, Optional, Type

from .enums import SpanStatus, SpanType, _ProtoEnum

# Wire types.
VARINT, FIXED64, LEN = 0, 1, 2

# Field kinds.
STRING, INT64, INT32, BOOL, DOUBLE, ENUM, MESSAGE, MAP_STRING, MAP_VALUE = range(9)


_UINT64_MASK = (1 << 64) - 1
_ONE_BYTE = [bytes((i,)) for i in range(128)]


def encode_varint(value: int) -> bytes:
    """Base-128 varint; negative numbers as 64-bit two's complement (10 bytes)."""
    if 0 <= value < 0x80:
        return _ONE_BYTE[value]
    value &= _UINT64_MASK
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    """The key of a field."""
    return encode_varint((number << 3) | wire_type)


class Field:
    """One field of a message schema, with its encoded key."""

    __slots__ = ("number", "kind", "repeated", "optional", "message", "enum", "key")

    def __init__(self, number: int, kind: int, repeated: bool = False, optional: bool = False,
                 message: str = "", enum: Optional[Type[_ProtoEnum]] = None) -> None:
        self.number = number
        self.kind = kind
        self.repeated = repeated
        self.optional = optional
        self.message = message
        self.enum = enum
        wire = FIXED64 if kind == DOUBLE else VARINT if kind in (INT64, INT32, BOOL, ENUM) else LEN
        self.key = tag(number, wire)


SCHEMAS: Dict[str, Dict[str, Field]] = {
    "TokenUsage": {
        "input_tokens": Field(1, INT64),
        "output_tokens": Field(2, INT64),
        "cache_read_tokens": Field(3, INT64),
        "cache_write_tokens": Field(4, INT64),
        "cache_write_1h_tokens": Field(5, INT64),
        "reasoning_tokens": Field(6, INT64),
    },
    "LLMRequest": {
        "temperature": Field(1, DOUBLE, optional=True),
        "max_tokens": Field(2, INT64, optional=True),
        "top_p": Field(3, DOUBLE, optional=True),
        "thinking_enabled": Field(4, BOOL, optional=True),
        "thinking_budget_tokens": Field(5, INT64, optional=True),
        "stop_reason": Field(6, STRING),
    },
    "ToolCall": {
        "name": Field(1, STRING),
        "call_id": Field(2, STRING),
        "input": Field(3, STRING),
        "output": Field(4, STRING),
        "success": Field(5, BOOL, optional=True),
    },
    "FileOp": {
        "path": Field(1, STRING),
        "operation": Field(2, STRING),
        "bytes": Field(3, INT64),
        "lines": Field(4, INT64),
    },
    "Event": {
        "name": Field(1, STRING),
        "time_unix_nano": Field(2, INT64),
        "attributes": Field(3, MAP_STRING),
    },
    "Span": {
        "trace_id": Field(1, STRING),
        "span_id": Field(2, STRING),
        "parent_span_id": Field(3, STRING),
        "session_id": Field(4, STRING),
        "name": Field(5, STRING),
        "type": Field(6, ENUM, enum=SpanType),
        "status": Field(7, ENUM, enum=SpanStatus),
        "status_message": Field(8, STRING),
        "error_code": Field(9, STRING),
        "start_time_unix_nano": Field(10, INT64),
        "end_time_unix_nano": Field(11, INT64),
        "model": Field(12, STRING),
        "provider": Field(13, STRING),
        "request": Field(14, MESSAGE, message="LLMRequest"),
        "prompt": Field(15, STRING),
        "response": Field(16, STRING),
        "tool": Field(17, MESSAGE, message="ToolCall"),
        "file": Field(18, MESSAGE, message="FileOp"),
        "events": Field(19, MESSAGE, repeated=True, message="Event"),
        "usage": Field(20, MESSAGE, message="TokenUsage"),
        "reported_cost_usd": Field(21, DOUBLE, optional=True),
        "framework": Field(22, STRING),
        "framework_version": Field(23, STRING),
        "sdk_version": Field(24, STRING),
        "hostname": Field(25, STRING),
        "tags": Field(26, STRING, repeated=True),
        "agent_name": Field(27, STRING),
        "user_id": Field(28, STRING),
        "attributes": Field(29, MAP_VALUE),
    },
    "SpanBatch": {
        "spans": Field(1, MESSAGE, repeated=True, message="Span"),
        "service_name": Field(2, STRING),
        "sdk_version": Field(3, STRING),
        # UDP only: the ingest key (HTTP sends it as a header).
        "api_key": Field(4, STRING),
    },
}

SPAN_BATCH_SPANS_FIELD = SCHEMAS["SpanBatch"]["spans"].number

_DOUBLE = struct.Struct("<d")
_TRUE, _FALSE = b"\x01", b"\x00"
# Keys of google.protobuf.Value's oneof and of map entries (field 1 key, field 2 value).
_VALUE_NULL = tag(1, VARINT) + b"\x00"
_VALUE_NUMBER, _VALUE_STRING, _VALUE_BOOL = tag(2, FIXED64), tag(3, LEN), tag(4, VARINT)
_VALUE_STRUCT, _VALUE_LIST = tag(5, LEN), tag(6, LEN)
_ENTRY_KEY, _ENTRY_VALUE = tag(1, LEN), tag(2, LEN)


def length_delimited(number: int, payload: bytes) -> bytes:
    """A LEN field: key, length, payload."""
    return tag(number, LEN) + encode_varint(len(payload)) + payload


def _len(key: bytes, payload: bytes) -> bytes:
    return key + encode_varint(len(payload)) + payload


def _text(key: bytes, value: str) -> bytes:
    return _len(key, value.encode("utf-8", "replace"))


def encode_value(value: Any) -> bytes:
    """Encode ``google.protobuf.Value`` (null, number, string, bool, struct, list)."""
    if isinstance(value, str):
        return _text(_VALUE_STRING, value)
    if value is None:
        return _VALUE_NULL
    if isinstance(value, bool):
        return _VALUE_BOOL + (_TRUE if value else _FALSE)
    if isinstance(value, (int, float)):
        return _VALUE_NUMBER + _DOUBLE.pack(float(value))
    if isinstance(value, Mapping):
        return _len(_VALUE_STRUCT, _value_map(_ENTRY_KEY, value))
    if isinstance(value, (list, tuple)):
        return _len(_VALUE_LIST, b"".join(_len(_ENTRY_KEY, encode_value(v)) for v in value))
    return _text(_VALUE_STRING, str(value))


def _value_map(key: bytes, mapping: Mapping[str, Any]) -> bytes:
    """map<string, google.protobuf.Value> entries (also the body of a Struct)."""
    return b"".join(
        _len(key, _text(_ENTRY_KEY, str(k)) + _len(_ENTRY_VALUE, encode_value(v))) for k, v in mapping.items()
    )


def _encode_field(field: Field, value: Any) -> bytes:
    kind, key = field.kind, field.key
    if kind == STRING:
        return _text(key, str(value)) if value or field.optional or field.repeated else b""
    if kind == MESSAGE:
        return _len(key, encode_message(field.message, value))
    if kind == MAP_STRING:
        return b"".join(_len(key, _text(_ENTRY_KEY, str(k)) + _text(_ENTRY_VALUE, str(v)))
                        for k, v in value.items())
    if kind == MAP_VALUE:
        return _value_map(key, value)
    if kind == ENUM and field.enum is not None:
        value = int(field.enum.parse(value))
    if not (value or field.optional):
        return b""  # a proto3 default is not written
    if kind == DOUBLE:
        return key + _DOUBLE.pack(float(value))
    if kind == BOOL:
        return key + (_TRUE if value else _FALSE)
    return key + encode_varint(int(value))  # INT64, INT32, ENUM


def encode_message(name: str, data: Mapping[str, Any]) -> bytes:
    """Encode the dict ``data`` as the message ``name`` (a key of :data:`SCHEMAS`)."""
    schema = SCHEMAS[name]
    out: List[bytes] = []
    for key, value in data.items():
        field = schema.get(key)
        if field is None or value is None:
            continue
        if field.repeated:
            out.extend(_encode_field(field, item) for item in value)
        else:
            out.append(_encode_field(field, value))
    return b"".join(out)


def encode_span(span: Mapping[str, Any]) -> bytes:
    """Encode one ``Span`` dict."""
    return encode_message("Span", span)


def batch_entry(encoded_span: bytes) -> bytes:
    """An encoded span as a ``SpanBatch.spans`` field, ready to concatenate."""
    return length_delimited(SPAN_BATCH_SPANS_FIELD, encoded_span)


def encode_batch_header(service_name: str, sdk_version: str, api_key: str = "") -> bytes:
    """The non-span fields of a ``SpanBatch`` (``api_key`` only for UDP)."""
    return encode_message("SpanBatch", {"service_name": service_name, "sdk_version": sdk_version,
                                        "api_key": api_key})


def encode_batch(spans: Iterable[Mapping[str, Any]], service_name: str = "", sdk_version: str = "") -> bytes:
    """Encode a whole ``SpanBatch``."""
    return encode_batch_header(service_name, sdk_version) + b"".join(batch_entry(encode_span(s)) for s in spans)
