-- Plain PostgreSQL (no TimescaleDB): BRIN on the span time column for range
-- scans over a large append-mostly table, and rollup tables that the writer
-- maintains in the same transaction as the spans (additive deltas, so a
-- replaced or deleted span is subtracted exactly). They outlive span
-- retention and serve long-range dashboards.
CREATE INDEX IF NOT EXISTS spans_start_time_brin ON spans USING brin (start_time) WITH (pages_per_range = 32);

CREATE TABLE IF NOT EXISTS span_metrics_hourly (
    bucket                 timestamptz      NOT NULL,
    type                   text             NOT NULL,
    model                  text             NOT NULL,
    provider               text             NOT NULL,
    agent_name             text             NOT NULL,
    spans                  bigint           NOT NULL DEFAULT 0,
    errors                 bigint           NOT NULL DEFAULT 0,
    finished               bigint           NOT NULL DEFAULT 0,
    duration_sum_ns        bigint           NOT NULL DEFAULT 0,
    tokens_input           bigint           NOT NULL DEFAULT 0,
    tokens_cache_read      bigint           NOT NULL DEFAULT 0,
    tokens_cache_write_5m  bigint           NOT NULL DEFAULT 0,
    tokens_cache_write_1h  bigint           NOT NULL DEFAULT 0,
    tokens_output          bigint           NOT NULL DEFAULT 0,
    tokens_reasoning       bigint           NOT NULL DEFAULT 0,
    cost_usd               double precision NOT NULL DEFAULT 0,
    priced_spans           bigint           NOT NULL DEFAULT 0,
    unpriced_spans         bigint           NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, type, model, provider, agent_name)
);

-- Daily costs is a view over the hourly rollup: one maintained table, two
-- granularities.
CREATE OR REPLACE VIEW daily_costs AS
SELECT date_trunc('day', bucket AT TIME ZONE 'UTC') AS day, model, provider, agent_name,
       sum(spans) AS spans, sum(tokens_input) AS tokens_input, sum(tokens_cache_read) AS tokens_cache_read,
       sum(tokens_cache_write_5m) AS tokens_cache_write_5m, sum(tokens_cache_write_1h) AS tokens_cache_write_1h,
       sum(tokens_output) AS tokens_output, sum(tokens_reasoning) AS tokens_reasoning,
       sum(cost_usd) AS cost_usd, sum(priced_spans) AS priced_spans, sum(unpriced_spans) AS unpriced_spans
FROM span_metrics_hourly
GROUP BY 1, 2, 3, 4;
