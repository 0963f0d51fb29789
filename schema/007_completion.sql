-- 007_completion: when each run's stream was confirmed complete, in UTC microseconds: a resume after
-- its last stored event brought nothing new and the run was terminal. NULL while the run is open; a
-- new event from the stream opens it again. A fact about the stream, not derived from its events, so
-- `rebuild` leaves it alone and `migrate-store` copies it.

ALTER TABLE streams ADD COLUMN completed_at INTEGER;
