-- AgentTrace SQLite schema, version 2: projects (tenants).
-- Every span, trace summary and session belongs to a project (the resource
-- attribute agenttrace.project, stamped by the receivers from the ingest
-- key). Ids are unique only within a project, so project B can never
-- overwrite or add to project A's trace, session or span with the same id.
-- SQLite cannot change a primary key or a UNIQUE constraint in place: each
-- table is rebuilt, and existing rows move to the project 'default'.

CREATE TABLE spans_v2 (
    seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
    project                TEXT    NOT NULL DEFAULT 'default',
    trace_id               TEXT    NOT NULL,
    span_id                TEXT    NOT NULL,
    parent_span_id         TEXT    NOT NULL DEFAULT '',
    session_id             TEXT    NOT NULL DEFAULT '',
    name                   TEXT    NOT NULL DEFAULT '',
    type                   TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    status_message         TEXT    NOT NULL DEFAULT '',
    error_code             TEXT    NOT NULL DEFAULT '',
    start_ns               INTEGER NOT NULL,
    end_ns                 INTEGER NOT NULL DEFAULT 0,
    duration_ns            INTEGER NOT NULL DEFAULT 0,
    model                  TEXT    NOT NULL DEFAULT '',
    provider               TEXT    NOT NULL DEFAULT '',
    temperature            REAL,
    max_tokens             INTEGER,
    top_p                  REAL,
    thinking_enabled       INTEGER,
    stop_reason            TEXT    NOT NULL DEFAULT '',
    prompt                 TEXT    NOT NULL DEFAULT '',
    response               TEXT    NOT NULL DEFAULT '',
    tool_name              TEXT    NOT NULL DEFAULT '',
    tool_call_id           TEXT    NOT NULL DEFAULT '',
    tool_input             TEXT    NOT NULL DEFAULT '',
    tool_output            TEXT    NOT NULL DEFAULT '',
    tool_success           INTEGER,
    file_path              TEXT    NOT NULL DEFAULT '',
    file_operation         TEXT    NOT NULL DEFAULT '',
    file_bytes             INTEGER NOT NULL DEFAULT 0,
    file_lines             INTEGER NOT NULL DEFAULT 0,
    tokens_input           INTEGER NOT NULL DEFAULT 0,
    tokens_cache_read      INTEGER NOT NULL DEFAULT 0,
    tokens_cache_write_5m  INTEGER NOT NULL DEFAULT 0,
    tokens_cache_write_1h  INTEGER NOT NULL DEFAULT 0,
    tokens_output          INTEGER NOT NULL DEFAULT 0,
    tokens_reasoning       INTEGER NOT NULL DEFAULT 0,
    tokens_total           INTEGER NOT NULL DEFAULT 0,
    tokens_present         INTEGER NOT NULL DEFAULT 0,
    tokens_estimated       INTEGER NOT NULL DEFAULT 0,
    cost_status            TEXT    NOT NULL DEFAULT '',
    cost_usd               REAL,
    cost_input_usd         REAL,
    cost_cache_read_usd    REAL,
    cost_cache_write_usd   REAL,
    cost_output_usd        REAL,
    cost_reasoning_usd     REAL,
    pricing_entry          TEXT    NOT NULL DEFAULT '',
    pricing_date           TEXT    NOT NULL DEFAULT '',
    reported_cost_usd      REAL,
    framework              TEXT    NOT NULL DEFAULT '',
    framework_version      TEXT    NOT NULL DEFAULT '',
    sdk_version            TEXT    NOT NULL DEFAULT '',
    hostname               TEXT    NOT NULL DEFAULT '',
    service_name           TEXT    NOT NULL DEFAULT '',
    tags                   TEXT    NOT NULL DEFAULT '[]',
    agent_name             TEXT    NOT NULL DEFAULT '',
    user_id                TEXT    NOT NULL DEFAULT '',
    chain_step             INTEGER NOT NULL DEFAULT -1,
    chain_depth            INTEGER NOT NULL DEFAULT -1,
    chain_follows          TEXT    NOT NULL DEFAULT '',
    chain_requested_by     TEXT    NOT NULL DEFAULT '',
    chain_answers          TEXT    NOT NULL DEFAULT '',
    flags                  INTEGER NOT NULL DEFAULT 0,
    attributes             TEXT    NOT NULL DEFAULT '{}',
    resource               TEXT    NOT NULL DEFAULT '{}',
    events                 TEXT    NOT NULL DEFAULT '[]',
    scope_name             TEXT    NOT NULL DEFAULT '',
    UNIQUE (trace_id, span_id, project)
);
INSERT INTO spans_v2 (project, seq, trace_id, span_id, parent_span_id, session_id, name, type, status, status_message, error_code, start_ns, end_ns, duration_ns, model, provider, temperature, max_tokens, top_p, thinking_enabled, stop_reason, prompt, response, tool_name, tool_call_id, tool_input, tool_output, tool_success, file_path, file_operation, file_bytes, file_lines, tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning, tokens_total, tokens_present, tokens_estimated, cost_status, cost_usd, cost_input_usd, cost_cache_read_usd, cost_cache_write_usd, cost_output_usd, cost_reasoning_usd, pricing_entry, pricing_date, reported_cost_usd, framework, framework_version, sdk_version, hostname, service_name, tags, agent_name, user_id, chain_step, chain_depth, chain_follows, chain_requested_by, chain_answers, flags, attributes, resource, events, scope_name)
SELECT 'default', seq, trace_id, span_id, parent_span_id, session_id, name, type, status, status_message, error_code, start_ns, end_ns, duration_ns, model, provider, temperature, max_tokens, top_p, thinking_enabled, stop_reason, prompt, response, tool_name, tool_call_id, tool_input, tool_output, tool_success, file_path, file_operation, file_bytes, file_lines, tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning, tokens_total, tokens_present, tokens_estimated, cost_status, cost_usd, cost_input_usd, cost_cache_read_usd, cost_cache_write_usd, cost_output_usd, cost_reasoning_usd, pricing_entry, pricing_date, reported_cost_usd, framework, framework_version, sdk_version, hostname, service_name, tags, agent_name, user_id, chain_step, chain_depth, chain_follows, chain_requested_by, chain_answers, flags, attributes, resource, events, scope_name FROM spans;
DROP TABLE spans;
ALTER TABLE spans_v2 RENAME TO spans;

CREATE TABLE traces_v2 (
    project                TEXT    NOT NULL DEFAULT 'default',
    trace_id               TEXT    NOT NULL,
    root_span_id           TEXT    NOT NULL DEFAULT '',
    root_name              TEXT    NOT NULL DEFAULT '',
    root_status            TEXT    NOT NULL DEFAULT '',
    session_id             TEXT    NOT NULL DEFAULT '',
    agent_name             TEXT    NOT NULL DEFAULT '',
    start_ns               INTEGER NOT NULL,
    end_ns                 INTEGER NOT NULL DEFAULT 0,
    span_count             INTEGER NOT NULL DEFAULT 0,
    llm_calls              INTEGER NOT NULL DEFAULT 0,
    tool_calls             INTEGER NOT NULL DEFAULT 0,
    error_count            INTEGER NOT NULL DEFAULT 0,
    running_count          INTEGER NOT NULL DEFAULT 0,
    tokens_input           INTEGER NOT NULL DEFAULT 0,
    tokens_cache_read      INTEGER NOT NULL DEFAULT 0,
    tokens_cache_write_5m  INTEGER NOT NULL DEFAULT 0,
    tokens_cache_write_1h  INTEGER NOT NULL DEFAULT 0,
    tokens_output          INTEGER NOT NULL DEFAULT 0,
    tokens_reasoning       INTEGER NOT NULL DEFAULT 0,
    cost_usd               REAL    NOT NULL DEFAULT 0,
    priced_spans           INTEGER NOT NULL DEFAULT 0,
    unpriced_spans         INTEGER NOT NULL DEFAULT 0,
    chain_length           INTEGER NOT NULL DEFAULT 0,
    flags                  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (trace_id, project)
);
INSERT INTO traces_v2 (project, trace_id, root_span_id, root_name, root_status, session_id, agent_name, start_ns, end_ns, span_count, llm_calls, tool_calls, error_count, running_count, tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning, cost_usd, priced_spans, unpriced_spans, chain_length, flags)
SELECT 'default', trace_id, root_span_id, root_name, root_status, session_id, agent_name, start_ns, end_ns, span_count, llm_calls, tool_calls, error_count, running_count, tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning, cost_usd, priced_spans, unpriced_spans, chain_length, flags FROM traces;
DROP TABLE traces;
ALTER TABLE traces_v2 RENAME TO traces;

CREATE TABLE sessions_v2 (
    project                TEXT    NOT NULL DEFAULT 'default',
    session_id             TEXT    NOT NULL,
    name                   TEXT    NOT NULL DEFAULT '',
    framework              TEXT    NOT NULL DEFAULT '',
    agent_name             TEXT    NOT NULL DEFAULT '',
    user_id                TEXT    NOT NULL DEFAULT '',
    tags                   TEXT    NOT NULL DEFAULT '[]',
    metadata               TEXT    NOT NULL DEFAULT '{}',
    start_ns               INTEGER NOT NULL DEFAULT 0,
    end_ns                 INTEGER NOT NULL DEFAULT 0,
    status                 TEXT    NOT NULL DEFAULT '',
    span_count             INTEGER NOT NULL DEFAULT 0,
    trace_count            INTEGER NOT NULL DEFAULT 0,
    llm_calls              INTEGER NOT NULL DEFAULT 0,
    tool_calls             INTEGER NOT NULL DEFAULT 0,
    error_count            INTEGER NOT NULL DEFAULT 0,
    tokens_input           INTEGER NOT NULL DEFAULT 0,
    tokens_cache_read      INTEGER NOT NULL DEFAULT 0,
    tokens_cache_write_5m  INTEGER NOT NULL DEFAULT 0,
    tokens_cache_write_1h  INTEGER NOT NULL DEFAULT 0,
    tokens_output          INTEGER NOT NULL DEFAULT 0,
    tokens_reasoning       INTEGER NOT NULL DEFAULT 0,
    cost_usd               REAL    NOT NULL DEFAULT 0,
    priced_spans           INTEGER NOT NULL DEFAULT 0,
    unpriced_spans         INTEGER NOT NULL DEFAULT 0,
    flags                  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, project)
);
INSERT INTO sessions_v2 (project, session_id, name, framework, agent_name, user_id, tags, metadata, start_ns, end_ns, status, span_count, trace_count, llm_calls, tool_calls, error_count, tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning, cost_usd, priced_spans, unpriced_spans, flags)
SELECT 'default', session_id, name, framework, agent_name, user_id, tags, metadata, start_ns, end_ns, status, span_count, trace_count, llm_calls, tool_calls, error_count, tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning, cost_usd, priced_spans, unpriced_spans, flags FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_v2 RENAME TO sessions;

-- Listings order by (start, id, project): the same id may start at the
-- same time in two projects, and cursors must not skip either.
-- Keys lead with the id (lookups by id, with or without a project, use
-- them); listings by time get a project-leading index for scoped reads
-- beside the unscoped one. Filters on session, model and type keep their
-- version 1 indexes (the id narrows the rows; the project is checked on
-- them).
CREATE INDEX spans_start ON spans (start_ns);
CREATE INDEX spans_project_start ON spans (project, start_ns);
CREATE INDEX spans_session ON spans (session_id, start_ns);
CREATE INDEX spans_model ON spans (model, start_ns);
CREATE INDEX spans_type ON spans (type, start_ns);
CREATE INDEX traces_start ON traces (start_ns, trace_id, project);
CREATE INDEX traces_project_start ON traces (project, start_ns, trace_id);
CREATE INDEX traces_session ON traces (session_id, start_ns);
CREATE INDEX sessions_start ON sessions (start_ns, session_id, project);
CREATE INDEX sessions_project_start ON sessions (project, start_ns, session_id);
