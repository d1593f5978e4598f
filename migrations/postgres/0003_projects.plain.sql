-- AgentTrace PostgreSQL schema, version 3 (plain PostgreSQL): projects.
-- Every span, trace summary and session belongs to a project (the resource
-- attribute agenttrace.project, stamped by the receivers from the ingest
-- key). Ids are unique only within a project, so project B can never
-- overwrite or add to project A's trace, session or span with the same id.
-- Existing rows move to the project 'default'. The hourly rollup gains a
-- project dimension so a project's cost breakdown can read it.
ALTER TABLE spans ADD COLUMN IF NOT EXISTS project text NOT NULL DEFAULT 'default';
ALTER TABLE traces ADD COLUMN IF NOT EXISTS project text NOT NULL DEFAULT 'default';
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS project text NOT NULL DEFAULT 'default';

ALTER TABLE spans DROP CONSTRAINT IF EXISTS spans_pkey;
ALTER TABLE spans ADD CONSTRAINT spans_pkey PRIMARY KEY (trace_id, span_id, start_time, project);
ALTER TABLE traces DROP CONSTRAINT IF EXISTS traces_pkey;
ALTER TABLE traces ADD CONSTRAINT traces_pkey PRIMARY KEY (trace_id, project);
ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_pkey;
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY (session_id, project);

-- Keys lead with the id, so lookups by id (writers look traces up by id
-- and then match the project; all-projects reads have no project) use
-- them. Listings by time get project-leading indexes for scoped reads
-- beside the unscoped ones of version 1; session filters keep theirs (the
-- id narrows the rows, the project is checked on them).
-- Listings order by (start, ids, project): the same ids may start at the
-- same time in two projects, and cursors must not skip either.
DROP INDEX IF EXISTS spans_start_idx;
CREATE INDEX IF NOT EXISTS spans_start_idx ON spans (start_ns DESC, trace_id DESC, span_id DESC, project DESC);
DROP INDEX IF EXISTS traces_start_idx;
CREATE INDEX IF NOT EXISTS traces_start_idx ON traces (start_ns DESC, trace_id DESC, project DESC);
DROP INDEX IF EXISTS sessions_start_idx;
CREATE INDEX IF NOT EXISTS sessions_start_idx ON sessions (start_ns DESC, session_id DESC, project DESC);
CREATE INDEX IF NOT EXISTS spans_project_start_idx ON spans (project, start_ns DESC, trace_id DESC, span_id DESC);
CREATE INDEX IF NOT EXISTS traces_project_start_idx ON traces (project, start_ns DESC, trace_id DESC);
CREATE INDEX IF NOT EXISTS sessions_project_start_idx ON sessions (project, start_ns DESC, session_id DESC);

ALTER TABLE span_metrics_hourly ADD COLUMN IF NOT EXISTS project text NOT NULL DEFAULT 'default';
ALTER TABLE span_metrics_hourly DROP CONSTRAINT IF EXISTS span_metrics_hourly_pkey;
ALTER TABLE span_metrics_hourly ADD CONSTRAINT span_metrics_hourly_pkey
    PRIMARY KEY (bucket, project, type, model, provider, agent_name);

DROP VIEW IF EXISTS daily_costs;
CREATE VIEW daily_costs AS
SELECT date_trunc('day', bucket AT TIME ZONE 'UTC') AS day, project, model, provider, agent_name,
       sum(spans) AS spans, sum(tokens_input) AS tokens_input, sum(tokens_cache_read) AS tokens_cache_read,
       sum(tokens_cache_write_5m) AS tokens_cache_write_5m, sum(tokens_cache_write_1h) AS tokens_cache_write_1h,
       sum(tokens_output) AS tokens_output, sum(tokens_reasoning) AS tokens_reasoning,
       sum(cost_usd) AS cost_usd, sum(priced_spans) AS priced_spans, sum(unpriced_spans) AS unpriced_spans
FROM span_metrics_hourly
GROUP BY 1, 2, 3, 4, 5;
