-- AgentTrace PostgreSQL schema, version 4 (plain and TimescaleDB): content
-- stored once. A content attribute whose value is exactly the text of the
-- span's prompt, response, tool_input or tool_output column is left out of
-- attributes and named in content_refs (key=column@index entries joined by
-- ';', see storage.RestoreContent); readers put it back. Existing rows have
-- none. (TimescaleDB adds a NOT NULL column with a default to a hypertable
-- with compressed chunks from version 2.6 on.)
ALTER TABLE spans ADD COLUMN IF NOT EXISTS content_refs text NOT NULL DEFAULT '';
