"""A tiny protobuf wire-format decoder, written independently of the SDK's encoder, for tests."""

import struct
from typing import Any, Dict, List, Tuple


def _varint(data: bytes, pos: int) -> Tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def fields(data: bytes) -> Dict[int, List[Any]]:
    """Field number -> raw values (ints for varints, floats for fixed64 doubles, bytes for LEN)."""
    out: Dict[int, List[Any]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            (value,) = struct.unpack_from("<d", data, pos)
            pos += 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value = data[pos:pos + length]
            pos += length
        else:
            raise ValueError("unexpected wire type %d" % wire)
        out.setdefault(number, []).append(value)
    return out


def signed(value: int) -> int:
    """A varint read as int64."""
    return value - (1 << 64) if value >= 1 << 63 else value


def value(data: bytes) -> Any:
    """Decode google.protobuf.Value."""
    f = fields(data)
    if 1 in f:
        return None
    if 2 in f:
        return f[2][0]
    if 3 in f:
        return f[3][0].decode()
    if 4 in f:
        return bool(f[4][0])
    if 5 in f:
        return value_map(fields(f[5][0]).get(1, []))
    if 6 in f:
        return [value(v) for v in fields(f[6][0]).get(1, [])]
    raise ValueError("empty Value")


def value_map(entries: List[bytes]) -> Dict[str, Any]:
    """Decode map<string, google.protobuf.Value> entries."""
    out = {}
    for entry in entries:
        f = fields(entry)
        out[f[1][0].decode()] = value(f[2][0])
    return out


def string_map(entries: List[bytes]) -> Dict[str, str]:
    """Decode map<string, string> entries."""
    out = {}
    for entry in entries:
        f = fields(entry)
        out[f[1][0].decode()] = f.get(2, [b""])[0].decode()
    return out
