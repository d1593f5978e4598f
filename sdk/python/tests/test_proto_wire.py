"""The hand-written protobuf encoder: round trip through a test-side decoder, and protoc."""

import os
import shutil
import subprocess

import pytest

from agenttrace import proto_wire

import wire_decoder as wd

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROTO = os.path.join("proto", "agenttrace", "v1", "agenttrace.proto")

SPAN = {
    "trace_id": "0af7651916cd43dd8448eb211c80319c",
    "span_id": "b7ad6b7169203331",
    "parent_span_id": "00f067aa0ba902b7",
    "session_id": "sess-1",
    "name": "chat claude \u00e9",
    "type": "SPAN_TYPE_LLM_CALL",
    "status": "SPAN_STATUS_OK",
    "status_message": "",
    "error_code": "RateLimitError",
    "start_time_unix_nano": 1_700_000_000_123_456_789,
    "end_time_unix_nano": 1_700_000_001_000_000_000,
    "model": "claude-sonnet-4",
    "provider": "anthropic",
    "request": {"temperature": 0.0, "max_tokens": 1024, "top_p": 0.95, "thinking_enabled": False,
                "thinking_budget_tokens": 512, "stop_reason": "end_turn"},
    "prompt": "hi",
    "response": "hello",
    "tool": {"name": "search", "call_id": "toolu_1", "input": "{}", "output": "[]", "success": False},
    "file": {"path": "/a", "operation": "read", "bytes": 10, "lines": 2},
    "events": [{"name": "first_token", "time_unix_nano": 1_700_000_000_500_000_000, "attributes": {"k": "v"}},
               {"name": "bare", "time_unix_nano": 5}],
    "usage": {"input_tokens": 1, "output_tokens": 2, "cache_read_tokens": 3, "cache_write_tokens": 4,
              "cache_write_1h_tokens": 5, "reasoning_tokens": 300},
    "reported_cost_usd": 0.0125,
    "framework": "langgraph",
    "framework_version": "0.2",
    "sdk_version": "0.1.0",
    "hostname": "box",
    "tags": ["a", "b"],
    "agent_name": "bot",
    "user_id": "u",
    "attributes": {"int": 7, "float": 1.5, "str": "s", "bool": False, "none": None,
                   "list": [1, "x", True], "dict": {"nested": {"deep": [None]}}},
}


def decode_span(data: bytes) -> dict:
    f = wd.fields(data)
    text = lambda n: f[n][0].decode() if n in f else ""  # noqa: E731
    request = wd.fields(f[14][0])
    tool = wd.fields(f[17][0])
    usage = wd.fields(f[20][0])
    return {
        "ids": (text(1), text(2), text(3), text(4)),
        "name": text(5),
        "type": f[6][0],
        "status": f[7][0],
        "status_message_absent": 8 not in f,
        "error_code": text(9),
        "times": (f[10][0], f[11][0]),
        "model": (text(12), text(13)),
        "request": (request[1][0], request[2][0], request[3][0], request[4][0], request[5][0],
                    request[6][0].decode()),
        "tool_success": tool[5][0],
        "events": [(wd.fields(e)[1][0].decode(), wd.string_map(wd.fields(e).get(3, []))) for e in f[19]],
        "usage": [usage[n][0] for n in range(1, 7)],
        "cost": f[21][0],
        "tags": [t.decode() for t in f[26]],
        "attributes": wd.value_map(f[29]),
    }


def test_span_round_trip():
    got = decode_span(proto_wire.encode_span(SPAN))
    assert got["ids"] == (SPAN["trace_id"], SPAN["span_id"], SPAN["parent_span_id"], "sess-1")
    assert got["name"] == "chat claude \u00e9" and got["type"] == 3 and got["status"] == 2
    assert got["status_message_absent"] and got["error_code"] == "RateLimitError"
    assert got["times"] == (SPAN["start_time_unix_nano"], SPAN["end_time_unix_nano"])
    assert got["model"] == ("claude-sonnet-4", "anthropic")
    # optional fields are written even when zero / false
    assert got["request"] == (0.0, 1024, 0.95, 0, 512, "end_turn")
    assert got["tool_success"] == 0
    assert got["events"] == [("first_token", {"k": "v"}), ("bare", {})]
    assert got["usage"] == [1, 2, 3, 4, 5, 300] and got["cost"] == 0.0125
    assert got["tags"] == ["a", "b"]
    assert got["attributes"] == SPAN["attributes"]


def test_defaults_are_omitted_and_enums_accept_numbers():
    assert proto_wire.encode_message("TokenUsage", {"input_tokens": 0, "output_tokens": 0}) == b""
    assert proto_wire.encode_message("Span", {"type": 0, "status": "SPAN_STATUS_UNSPECIFIED", "name": ""}) == b""
    assert wd.fields(proto_wire.encode_message("Span", {"type": 4}))[6] == [4]
    assert proto_wire.encode_message("Span", {"unknown_field": 1, "prompt": None}) == b""


def test_varints():
    assert proto_wire.encode_varint(0) == b"\x00"
    assert proto_wire.encode_varint(300) == b"\xac\x02"
    assert len(proto_wire.encode_varint(-1)) == 10
    assert wd.signed(wd.fields(proto_wire.encode_message("FileOp", {"bytes": -5}))[3][0]) == -5


def test_batch_round_trip():
    data = proto_wire.encode_batch([SPAN, {"trace_id": "t", "span_id": "s"}], "svc", "0.1.0")
    f = wd.fields(data)
    assert f[2] == [b"svc"] and f[3] == [b"0.1.0"] and len(f[1]) == 2
    assert wd.fields(f[1][1])[1] == [b"t"]


@pytest.mark.skipif(not os.path.exists("/usr/bin/protoc"), reason="protoc is not installed")
def test_protoc_decodes_the_batch():
    data = proto_wire.encode_batch([SPAN], "svc", "0.1.0")
    include = "/usr/include" if os.path.exists("/usr/include/google/protobuf/struct.proto") else None
    cmd = [shutil.which("protoc") or "/usr/bin/protoc", "--decode=agenttrace.v1.SpanBatch", "-I", "proto"]
    if include:
        cmd += ["-I", include]
    result = subprocess.run(cmd + [PROTO], input=data, cwd=REPO_ROOT, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode("utf-8")
    for expected in ('trace_id: "0af7651916cd43dd8448eb211c80319c"', "type: SPAN_TYPE_LLM_CALL",
                     "status: SPAN_STATUS_OK", "cache_write_1h_tokens: 5", "reasoning_tokens: 300",
                     "thinking_enabled: false", "success: false", "reported_cost_usd: 0.0125",
                     'service_name: "svc"', 'key: "dict"', "bool_value: false", "null_value: NULL_VALUE",
                     "number_value: 1.5", 'string_value: "x"', "start_time_unix_nano: 1700000000123456789"):
        assert expected in text, expected
