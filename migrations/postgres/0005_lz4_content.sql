-- AgentTrace PostgreSQL schema, version 5 (plain and TimescaleDB): the large
-- text columns of spans (prompt, response, tool input/output, attribute,
-- resource and event JSON) are TOAST-compressed with lz4 instead of pglz when
-- the server has lz4 (PostgreSQL 14+ built with it; Debian's and the official
-- images are). pglz is the dominant cost of writing a 1-4 KB prompt; lz4
-- compresses several times faster. It is an optimization only: a server
-- without lz4, or a table that refuses the change (a hypertable with
-- compressed chunks on an old TimescaleDB), keeps pglz, and the migration
-- still succeeds. Existing values keep their compression; new ones use lz4.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        BEGIN
            ALTER TABLE spans
                ALTER COLUMN prompt SET COMPRESSION lz4,
                ALTER COLUMN response SET COMPRESSION lz4,
                ALTER COLUMN tool_input SET COMPRESSION lz4,
                ALTER COLUMN tool_output SET COMPRESSION lz4,
                ALTER COLUMN attributes SET COMPRESSION lz4,
                ALTER COLUMN resource SET COMPRESSION lz4,
                ALTER COLUMN events SET COMPRESSION lz4;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'agenttrace: spans keep pglz compression: %', SQLERRM;
        END;
    END IF;
END
$$;
