-- 002_projections (PostgreSQL): the tables derived only from events, as schema/002_projections.sql
-- keeps them in SQLite, and the price table they are costed with. An append writes its runs'
-- rows in its own transaction, so they never lag the events; a run's `event_count` is how far its
-- rows have read (a store from before this migration catches up run by run). Text compares and
-- sorts byte by byte (COLLATE "C"), as in SQLite, so reports order alike on both stores.

CREATE TABLE runs (
    run_key             bigint PRIMARY KEY REFERENCES streams (run_key),
    run_id              text COLLATE "C" NOT NULL,
    state               text COLLATE "C",
    machine_id          text COLLATE "C",
    task                text COLLATE "C",
    cua_version         text COLLATE "C",
    first_event_at      bigint NOT NULL,
    last_event_at       bigint NOT NULL,
    started_at          bigint,
    ended_at            bigint,
    duration_us         bigint,
    awaiting_human_us   bigint NOT NULL,
    queue_wait_us       bigint NOT NULL,
    steps               bigint NOT NULL,
    cost_micros         bigint NOT NULL,
    reported_steps      bigint,
    billing_discrepancy boolean NOT NULL,
    failure_reason      text COLLATE "C",
    result_error        text COLLATE "C",
    last_step_at        bigint,
    state_seq           bigint,
    state_position      bigint,
    state_since         bigint,
    event_count         bigint NOT NULL,
    last_seq            bigint NOT NULL,
    last_event_id       text COLLATE "C" NOT NULL
);

CREATE INDEX runs_by_first_event ON runs (first_event_at);
CREATE INDEX runs_by_state ON runs (state);
CREATE INDEX runs_by_machine ON runs (machine_id);

-- One row per step event, kept in run order: its run and its place in the run's stream.
CREATE TABLE steps (
    run_key      bigint NOT NULL,
    position     bigint NOT NULL,
    step         bigint,
    at           bigint NOT NULL,
    action_type  text COLLATE "C",
    message      text COLLATE "C",
    gap_us       bigint,
    price_micros bigint NOT NULL,
    PRIMARY KEY (run_key, position)
);

-- One row per state interval, keyed by its run and the seq of the event that entered the state.
CREATE TABLE transitions (
    run_key     bigint NOT NULL,
    seq         bigint NOT NULL,
    position    bigint NOT NULL,
    state       text COLLATE "C" NOT NULL,
    started_at  bigint NOT NULL,
    ended_at    bigint,
    duration_us bigint,
    PRIMARY KEY (run_key, seq)
);

-- The price of one step from `effective_from` (UTC microseconds) until the next row's date.
CREATE TABLE prices (
    effective_from  bigint PRIMARY KEY,
    micros_per_step bigint NOT NULL CHECK (micros_per_step >= 0)
);

INSERT INTO prices (effective_from, micros_per_step) VALUES (-9223372036854775808, 50000);

-- Every stored event with its run id and its type and data as text: what the query language's
-- `events` source reads.
CREATE VIEW event_log AS
SELECT e.seq, e.run_key, s.run_id COLLATE "C" AS run_id, e.event_id COLLATE "C" AS event_id,
    convert_from(e.type, 'UTF8') COLLATE "C" AS type, convert_from(e.data, 'UTF8') COLLATE "C" AS data,
    e.received_at
FROM events e JOIN streams s ON s.run_key = e.run_key;

-- The JSON value of `data`, or null when it is not JSON (SQLite's json_valid test).
CREATE FUNCTION ledger_json(data text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN data::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$;

-- A JSON value as SQLite's json_extract gives it to arithmetic: numbers as numbers, true and false
-- as 1 and 0, anything else null.
CREATE FUNCTION ledger_json_number(value jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(value)
        WHEN 'number' THEN (value #>> '{}')::numeric
        WHEN 'boolean' THEN CASE WHEN (value #>> '{}') = 'true' THEN 1 ELSE 0 END
    END
$$;
