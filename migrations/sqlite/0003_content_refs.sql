-- AgentTrace SQLite schema, version 3: content stored once.
-- A content attribute whose value is exactly the text of the span's prompt,
-- response, tool_input or tool_output column is left out of attributes
-- and named in content_refs (key=column@index entries joined by ';', see
-- storage.RestoreContent); readers put it back. Existing rows have none.
ALTER TABLE spans ADD COLUMN content_refs TEXT NOT NULL DEFAULT '';
