-- 002_projections: tables derived only from events (runs, steps, transitions), the price table
-- they are costed with, and how far they have read. Every projection row can be dropped and
-- recomputed from events (`ledgerctl rebuild`); prices are configuration and are kept.

-- One row per run, as of the last event projected. Times are UTC microseconds, money micro-dollars.
CREATE TABLE runs (
    run_key             INTEGER PRIMARY KEY,
    run_id              TEXT NOT NULL,
    state               TEXT,
    machine_id          TEXT,
    task                TEXT,
    cua_version         TEXT,
    first_event_at      INTEGER NOT NULL,
    last_event_at       INTEGER NOT NULL,
    started_at          INTEGER,
    ended_at            INTEGER,
    duration_us         INTEGER,
    awaiting_human_us   INTEGER NOT NULL,
    queue_wait_us       INTEGER NOT NULL,
    steps               INTEGER NOT NULL,
    cost_micros         INTEGER NOT NULL,
    reported_steps      INTEGER,
    billing_discrepancy INTEGER NOT NULL,
    failure_reason      TEXT,
    result_error        TEXT,
    last_step_at        INTEGER,
    state_seq           INTEGER,
    state_position      INTEGER,
    state_since         INTEGER,
    event_count         INTEGER NOT NULL,
    last_seq            INTEGER NOT NULL,
    last_event_id       TEXT NOT NULL
);

CREATE INDEX runs_by_first_event ON runs(first_event_at);
CREATE INDEX runs_by_state ON runs(state);
CREATE INDEX runs_by_machine ON runs(machine_id);

-- One row per step event, keyed by the event's seq; `position` is its place in the run's stream.
CREATE TABLE steps (
    seq          INTEGER PRIMARY KEY,
    run_key      INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    step         INTEGER,
    at           INTEGER NOT NULL,
    action_type  TEXT,
    message      TEXT,
    gap_us       INTEGER,
    price_micros INTEGER NOT NULL
);

-- One row per state interval, keyed by its run and the seq of the event that entered the
-- state; the interval a run is in now has no end yet.
CREATE TABLE transitions (
    run_key     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    duration_us INTEGER,
    PRIMARY KEY (run_key, seq)
) WITHOUT ROWID;

-- The price of one step from `effective_from` (UTC microseconds) until the next row's date.
CREATE TABLE prices (
    effective_from  INTEGER PRIMARY KEY,
    micros_per_step INTEGER NOT NULL CHECK (micros_per_step >= 0)
);

INSERT INTO prices (effective_from, micros_per_step) VALUES (-9223372036854775808, 50000);

-- The seq of the last event each projection has applied.
CREATE TABLE projection_checkpoints (
    name     TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO projection_checkpoints (name, last_seq) VALUES ('runs', 0), ('steps', 0), ('transitions', 0);
