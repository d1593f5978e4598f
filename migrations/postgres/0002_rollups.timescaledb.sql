-- TimescaleDB: spans becomes a hypertable (daily chunks) with compression
-- settings; continuous aggregates provide hourly metrics and daily costs.
-- Refresh, compression and retention policies are added by the store from
-- its configuration (see postgres.Config), not here, so they can change.
SELECT create_hypertable('spans', 'start_time',
    chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE,
    create_default_indexes => FALSE);

ALTER TABLE spans SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'type',
    timescaledb.compress_orderby = 'start_time DESC, trace_id, span_id');

CREATE MATERIALIZED VIEW IF NOT EXISTS span_metrics_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', start_time) AS bucket, type, model, provider, agent_name,
       count(*) AS spans,
       count(*) FILTER (WHERE status IN ('error', 'timeout')) AS errors,
       count(duration_ns) AS finished,
       coalesce(sum(duration_ns), 0) AS duration_sum_ns,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ns) AS p50_ns,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns) AS p95_ns,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ns) AS p99_ns,
       sum(tokens_input) AS tokens_input, sum(tokens_cache_read) AS tokens_cache_read,
       sum(tokens_cache_write_5m) AS tokens_cache_write_5m, sum(tokens_cache_write_1h) AS tokens_cache_write_1h,
       sum(tokens_output) AS tokens_output, sum(tokens_reasoning) AS tokens_reasoning,
       coalesce(sum(cost_usd) FILTER (WHERE cost_status IN ('priced', 'estimated')), 0) AS cost_usd,
       count(*) FILTER (WHERE cost_status IN ('priced', 'estimated')) AS priced_spans,
       count(*) FILTER (WHERE cost_status = 'unpriced') AS unpriced_spans
FROM spans
GROUP BY bucket, type, model, provider, agent_name
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS daily_costs
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', start_time) AS day, model, provider, agent_name,
       count(*) AS spans,
       sum(tokens_input) AS tokens_input, sum(tokens_cache_read) AS tokens_cache_read,
       sum(tokens_cache_write_5m) AS tokens_cache_write_5m, sum(tokens_cache_write_1h) AS tokens_cache_write_1h,
       sum(tokens_output) AS tokens_output, sum(tokens_reasoning) AS tokens_reasoning,
       coalesce(sum(cost_usd) FILTER (WHERE cost_status IN ('priced', 'estimated')), 0) AS cost_usd,
       count(*) FILTER (WHERE cost_status IN ('priced', 'estimated')) AS priced_spans,
       count(*) FILTER (WHERE cost_status = 'unpriced') AS unpriced_spans
FROM spans
GROUP BY day, model, provider, agent_name
WITH NO DATA;
