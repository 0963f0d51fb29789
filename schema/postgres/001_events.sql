-- 001_events (PostgreSQL): the raw, append-only event store, as schema/001_events.sql keeps it
-- in SQLite. Many workers on many hosts append at once, so each event also records its place in
-- its run's stream (`position`): seq orders events across runs only as their commits landed.
-- An event's type and data are kept as their UTF-8 bytes (bytea): PostgreSQL text cannot hold
-- the NUL character an event stream may carry. Times are UTC microseconds.

CREATE TABLE streams (
    run_key           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id            text NOT NULL UNIQUE,
    event_count       bigint NOT NULL DEFAULT 0,
    head_hash         bytea NOT NULL,
    resume_id         text NOT NULL DEFAULT '',
    first_received_at bigint,
    last_received_at  bigint
);

CREATE TABLE events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_key     bigint NOT NULL REFERENCES streams (run_key),
    position    bigint NOT NULL,
    event_id    text NOT NULL,
    type        bytea NOT NULL,
    data        bytea NOT NULL,
    received_at bigint NOT NULL,
    hash        bytea NOT NULL,
    UNIQUE (run_key, event_id),
    UNIQUE (run_key, position)
);

CREATE TABLE conflicts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_key     bigint NOT NULL REFERENCES streams (run_key),
    event_id    text NOT NULL,
    type        bytea NOT NULL,
    data        bytea NOT NULL,
    received_at bigint NOT NULL,
    data_hash   bytea NOT NULL,
    UNIQUE (run_key, event_id, data_hash)
);

CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% are append-only: a row cannot be %', TG_TABLE_NAME, lower(TG_OP) || 'd'
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER conflicts_append_only BEFORE UPDATE OR DELETE ON conflicts
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER conflicts_no_truncate BEFORE TRUNCATE ON conflicts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
