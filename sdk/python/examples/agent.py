"""A small agent traced with AgentTrace: task -> LLM call -> tool -> LLM call.

The LLM is fake (no network, no API key), so this runs anywhere:

    python sdk/python/examples/agent.py                      # to a collector on 127.0.0.1:4321
    AGENTTRACE_EXPORTER=console python sdk/python/examples/agent.py

It prints the session summary: the collector's when one is running, otherwise
the SDK's own totals (``"source": "sdk"``).
"""

import json
import os
import sys
from typing import Any, Dict, List

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import agenttrace  # noqa: E402


class FakeLLM:
    """Answers like a chat model: first asks for the weather tool, then answers."""

    model = "claude-sonnet-4-20250514"
    provider = "anthropic"

    def complete(self, messages: List[Dict[str, Any]]) -> Dict[str, Any]:
        if messages[-1]["role"] == "user":
            return {
                "text": "Let me check the weather.",
                "tool_call": {"id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
                "stop_reason": "tool_use",
                "usage": {"input_tokens": 420, "output_tokens": 38, "cache_read_tokens": 1800,
                          "cache_write_tokens": 0},
            }
        forecast = json.loads(messages[-1]["content"])
        return {
            "text": "It will be %s in %s, up to %d\u00b0C." % (forecast["forecast"], forecast["city"], forecast["high_c"]),
            "tool_call": None,
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 95, "output_tokens": 24, "cache_read_tokens": 2258},
        }


def get_weather(city: str) -> Dict[str, Any]:
    """The agent's only tool."""
    return {"city": city, "forecast": "sunny", "high_c": 24}


def call_llm(llm: FakeLLM, messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    """One LLM call, recorded by hand (auto-instrumentation does this for anthropic/openai)."""
    with agenttrace.start_span("chat " + llm.model, span_type="llm_call", model=llm.model,
                               provider=llm.provider) as span:
        span.set_request(temperature=0.2, max_tokens=512)
        span.set_prompt(messages)
        reply = llm.complete(messages)
        span.set_response(reply["text"])
        span.set_request(stop_reason=reply["stop_reason"])
        span.set_token_usage(**reply["usage"])
        return reply


def run_tool(call: Dict[str, Any]) -> Dict[str, Any]:
    """Execute a tool call in a tool span linked to the LLM output by its call id."""
    with agenttrace.start_span(call["name"], span_type="tool_execution") as span:
        span.set_tool(name=call["name"], call_id=call["id"], input=call["input"])
        result = get_weather(**call["input"])
        span.set_tool(output=result, success=True)
        return result


@agenttrace.trace(name="answer question", span_type="task")
def answer(question: str) -> str:
    """The agent loop: ask the model, run the tool it asks for, ask again."""
    llm = FakeLLM()
    messages: List[Dict[str, Any]] = [{"role": "user", "content": question}]
    reply = call_llm(llm, messages)
    while reply["tool_call"] is not None:
        result = run_tool(reply["tool_call"])
        messages += [{"role": "assistant", "content": reply["text"]},
                     {"role": "tool", "content": json.dumps(result)}]
        reply = call_llm(llm, messages)
    return reply["text"]


def run_agent(question: str = "What's the weather in Paris?") -> Dict[str, Any]:
    """Run one traced session with the process-wide client; return its summary."""
    agenttrace.start_session("weather-agent", framework="example", tags=["demo"], agent_name="weather-bot")
    print(answer(question))
    return agenttrace.end_session()


def main() -> None:
    agenttrace.init(service_name="example-agent")
    summary = run_agent()
    print(json.dumps(summary, indent=2))
    print("sdk stats:", agenttrace.stats())


if __name__ == "__main__":
    main()
