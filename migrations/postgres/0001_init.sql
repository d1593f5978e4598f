-- AgentTrace PostgreSQL schema, version 1 (plain PostgreSQL and TimescaleDB).
-- spans: one row per span; a running span is replaced by its final version.
-- traces, sessions: summaries maintained by additive, idempotent upserts
-- (the writer computes the difference against the rows it replaces).
-- The spans primary key includes start_time because a TimescaleDB
-- hypertable's unique indexes must contain its time column.
CREATE SEQUENCE IF NOT EXISTS span_seq;

CREATE TABLE IF NOT EXISTS spans (
    trace_id               text             NOT NULL,
    span_id                text             NOT NULL,
    start_time             timestamptz      NOT NULL,
    parent_span_id         text             NOT NULL DEFAULT '',
    session_id             text             NOT NULL DEFAULT '',
    name                   text             NOT NULL DEFAULT '',
    type                   text             NOT NULL,
    status                 text             NOT NULL,
    status_message         text             NOT NULL DEFAULT '',
    error_code             text             NOT NULL DEFAULT '',
    start_ns               bigint           NOT NULL,
    end_ns                 bigint           NOT NULL DEFAULT 0,
    duration_ns            bigint,          -- NULL until the span finished
    model                  text             NOT NULL DEFAULT '',
    provider               text             NOT NULL DEFAULT '',
    temperature            double precision,
    max_tokens             bigint,
    top_p                  double precision,
    thinking_enabled       boolean,
    stop_reason            text             NOT NULL DEFAULT '',
    prompt                 text             NOT NULL DEFAULT '',
    response               text             NOT NULL DEFAULT '',
    tool_name              text             NOT NULL DEFAULT '',
    tool_call_id           text             NOT NULL DEFAULT '',
    tool_input             text             NOT NULL DEFAULT '',
    tool_output            text             NOT NULL DEFAULT '',
    tool_success           boolean,
    file_path              text             NOT NULL DEFAULT '',
    file_operation         text             NOT NULL DEFAULT '',
    file_bytes             bigint           NOT NULL DEFAULT 0,
    file_lines             bigint           NOT NULL DEFAULT 0,
    tokens_input           bigint           NOT NULL DEFAULT 0,
    tokens_cache_read      bigint           NOT NULL DEFAULT 0,
    tokens_cache_write_5m  bigint           NOT NULL DEFAULT 0,
    tokens_cache_write_1h  bigint           NOT NULL DEFAULT 0,
    tokens_output          bigint           NOT NULL DEFAULT 0,
    tokens_reasoning       bigint           NOT NULL DEFAULT 0,
    tokens_present         boolean          NOT NULL DEFAULT false,
    tokens_estimated       boolean          NOT NULL DEFAULT false,
    cost_status            text             NOT NULL DEFAULT '',
    cost_usd               double precision NOT NULL DEFAULT 0,
    cost_input_usd         double precision NOT NULL DEFAULT 0,
    cost_cache_read_usd    double precision NOT NULL DEFAULT 0,
    cost_cache_write_usd   double precision NOT NULL DEFAULT 0,
    cost_output_usd        double precision NOT NULL DEFAULT 0,
    cost_reasoning_usd     double precision NOT NULL DEFAULT 0,
    pricing_entry          text             NOT NULL DEFAULT '',
    pricing_date           text             NOT NULL DEFAULT '',
    reported_cost_usd      double precision,
    framework              text             NOT NULL DEFAULT '',
    framework_version      text             NOT NULL DEFAULT '',
    sdk_version            text             NOT NULL DEFAULT '',
    hostname               text             NOT NULL DEFAULT '',
    service_name           text             NOT NULL DEFAULT '',
    tags                   text[],
    agent_name             text             NOT NULL DEFAULT '',
    user_id                text             NOT NULL DEFAULT '',
    chain_step             bigint           NOT NULL DEFAULT -1,
    chain_depth            bigint           NOT NULL DEFAULT -1,
    chain_follows          text             NOT NULL DEFAULT '',
    chain_requested_by     text             NOT NULL DEFAULT '',
    chain_answers          text             NOT NULL DEFAULT '',
    flags                  bigint           NOT NULL DEFAULT 0, -- canonical.Flag bit mask
    attributes             jsonb            NOT NULL DEFAULT '{}',
    resource               jsonb            NOT NULL DEFAULT '{}',
    events                 jsonb            NOT NULL DEFAULT '[]',
    scope_name             text             NOT NULL DEFAULT '',
    seq                    bigint           NOT NULL DEFAULT nextval('span_seq'),
    PRIMARY KEY (trace_id, span_id, start_time)
);
-- Newest-first listing and its cursor; following new spans by seq.
CREATE INDEX IF NOT EXISTS spans_start_idx ON spans (start_ns DESC, trace_id DESC, span_id DESC);
CREATE INDEX IF NOT EXISTS spans_seq_idx ON spans (seq);
CREATE INDEX IF NOT EXISTS spans_session_idx ON spans (session_id, start_ns DESC) WHERE session_id <> '';

CREATE TABLE IF NOT EXISTS traces (
    trace_id               text             PRIMARY KEY,
    root_span_id           text             NOT NULL DEFAULT '',
    root_name              text             NOT NULL DEFAULT '',
    root_status            text             NOT NULL DEFAULT '', -- '' while the root is unknown
    session_id             text             NOT NULL DEFAULT '',
    agent_name             text             NOT NULL DEFAULT '',
    start_ns               bigint           NOT NULL,
    end_ns                 bigint           NOT NULL DEFAULT 0,
    span_count             bigint           NOT NULL DEFAULT 0,
    llm_calls              bigint           NOT NULL DEFAULT 0,
    tool_calls             bigint           NOT NULL DEFAULT 0,
    error_count            bigint           NOT NULL DEFAULT 0,
    tokens_input           bigint           NOT NULL DEFAULT 0,
    tokens_cache_read      bigint           NOT NULL DEFAULT 0,
    tokens_cache_write_5m  bigint           NOT NULL DEFAULT 0,
    tokens_cache_write_1h  bigint           NOT NULL DEFAULT 0,
    tokens_output          bigint           NOT NULL DEFAULT 0,
    tokens_reasoning       bigint           NOT NULL DEFAULT 0,
    cost_usd               double precision NOT NULL DEFAULT 0,
    priced_spans           bigint           NOT NULL DEFAULT 0,
    unpriced_spans         bigint           NOT NULL DEFAULT 0,
    chain_max              bigint           NOT NULL DEFAULT -1,
    flags                  bigint           NOT NULL DEFAULT 0,
    -- Error when any span failed (even while the root runs), otherwise
    -- running while the root runs or is unknown, otherwise the root's status.
    status                 text GENERATED ALWAYS AS (
        CASE WHEN error_count > 0 THEN 'error'
             WHEN root_status IN ('', 'running') THEN 'running'
             ELSE root_status END) STORED,
    -- 0 while the trace runs (same rule as status).
    duration_ns            bigint GENERATED ALWAYS AS (
        CASE WHEN error_count = 0 AND root_status IN ('', 'running') THEN 0
             WHEN end_ns > start_ns THEN end_ns - start_ns ELSE 0 END) STORED
);
CREATE INDEX IF NOT EXISTS traces_start_idx ON traces (start_ns DESC, trace_id DESC);
CREATE INDEX IF NOT EXISTS traces_session_idx ON traces (session_id) WHERE session_id <> '';

CREATE TABLE IF NOT EXISTS sessions (
    session_id             text             PRIMARY KEY,
    name                   text             NOT NULL DEFAULT '',
    framework              text             NOT NULL DEFAULT '',
    agent_name             text             NOT NULL DEFAULT '',
    user_id                text             NOT NULL DEFAULT '',
    tags                   text[],
    metadata               jsonb,
    started                boolean          NOT NULL DEFAULT false, -- start event seen
    start_ns               bigint           NOT NULL DEFAULT 0,
    end_ns                 bigint           NOT NULL DEFAULT 0,
    status                 text             NOT NULL DEFAULT 'running',
    span_count             bigint           NOT NULL DEFAULT 0,
    llm_calls              bigint           NOT NULL DEFAULT 0,
    tool_calls             bigint           NOT NULL DEFAULT 0,
    error_count            bigint           NOT NULL DEFAULT 0,
    tokens_input           bigint           NOT NULL DEFAULT 0,
    tokens_cache_read      bigint           NOT NULL DEFAULT 0,
    tokens_cache_write_5m  bigint           NOT NULL DEFAULT 0,
    tokens_cache_write_1h  bigint           NOT NULL DEFAULT 0,
    tokens_output          bigint           NOT NULL DEFAULT 0,
    tokens_reasoning       bigint           NOT NULL DEFAULT 0,
    cost_usd               double precision NOT NULL DEFAULT 0,
    priced_spans           bigint           NOT NULL DEFAULT 0,
    unpriced_spans         bigint           NOT NULL DEFAULT 0,
    flags                  bigint           NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_start_idx ON sessions (start_ns DESC, session_id DESC);
