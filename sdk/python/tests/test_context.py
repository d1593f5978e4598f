"""Context propagation across threads and asyncio tasks."""

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor


def test_copied_context_thread_keeps_parent(client, memory):
    with client.start_span("root") as root:
        ctx = contextvars.copy_context()
        thread = threading.Thread(target=ctx.run, args=(lambda: client.start_span("child").end(),))
        thread.start()
        thread.join()
    client.flush(2)
    child = memory.by_name("child")
    assert child["trace_id"] == root.trace_id and child["parent_span_id"] == root.span_id


def test_executor_with_copied_context_keeps_parent(client, memory):
    with client.start_span("root") as root:
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(contextvars.copy_context().run, lambda i=i: client.start_span("w%d" % i).end())
                       for i in range(4)]
            [f.result() for f in futures]
    client.flush(2)
    for i in range(4):
        assert memory.by_name("w%d" % i)["parent_span_id"] == root.span_id


def test_plain_thread_starts_new_trace_unless_parent_given(client, memory):
    with client.start_span("root") as root:
        def work():
            client.start_span("orphan").end()
            client.start_span("linked", parent=root).end()
            client.start_span("by-ids", parent=(root.trace_id, root.span_id)).end()

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    client.flush(2)
    orphan = memory.by_name("orphan")
    assert orphan["trace_id"] != root.trace_id and "parent_span_id" not in orphan
    for name in ("linked", "by-ids"):
        span = memory.by_name(name)
        assert span["trace_id"] == root.trace_id and span["parent_span_id"] == root.span_id


def test_plain_thread_still_joins_the_session(client, memory):
    session = client.start_session("run")
    thread = threading.Thread(target=lambda: client.start_span("in-thread").end())
    thread.start()
    thread.join()
    client.end_session()
    assert memory.by_name("in-thread")["session_id"] == session.session_id


def test_asyncio_tasks_keep_their_own_parents(client, memory):
    async def agent(name):
        async with client.start_span(name, span_type="agent"):
            await asyncio.sleep(0.01)
            async with client.start_span(name + ".step"):
                await asyncio.sleep(0.01)
                # a task created here inherits this span
                await asyncio.create_task(sub(name + ".sub"))

    async def sub(name):
        client.start_span(name).end()

    async def main():
        async with client.start_span("root"):
            await asyncio.gather(agent("a"), agent("b"), agent("c"))

    asyncio.run(main())
    client.flush(2)
    root = memory.by_name("root")
    for name in "abc":
        agent_span, step, subspan = memory.by_name(name), memory.by_name(name + ".step"), memory.by_name(name + ".sub")
        assert agent_span["parent_span_id"] == root["span_id"]
        assert step["parent_span_id"] == agent_span["span_id"]
        assert subspan["parent_span_id"] == step["span_id"]
        assert {agent_span["trace_id"], step["trace_id"], subspan["trace_id"]} == {root["trace_id"]}


def test_span_left_in_another_context_does_not_break_current(client):
    def scenario():
        span = client.start_span("outer")
        span.__enter__()
        # leave it from a different context: the token cannot be reset there
        contextvars.copy_context().run(span.__exit__, None, None, None)
        assert span.ended
        with client.start_span("x") as span2:
            assert client.current_span() is span2
        assert client.current_span() is span

    contextvars.copy_context().run(scenario)  # keeps the test's own context clean
