-- 004_completion (PostgreSQL): when each run's stream was confirmed complete, as schema/007_completion.sql
-- keeps it in SQLite. NULL while the run is open; a new event from the stream opens it again.

ALTER TABLE streams ADD COLUMN completed_at bigint;
