-- 006_steps_by_run: the steps projection is kept in run order, keyed by its run and stream position
-- (WITHOUT ROWID), which is how a run's steps are read, instead of in seq order with a second index
-- for runs: an append writes one b-tree per step, not two. Step rows are derived: copied as they are.

CREATE TABLE steps_new (
    run_key      INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    step         INTEGER,
    at           INTEGER NOT NULL,
    action_type  TEXT,
    message      TEXT,
    gap_us       INTEGER,
    price_micros INTEGER NOT NULL,
    PRIMARY KEY (run_key, position)
) WITHOUT ROWID;

INSERT INTO steps_new (run_key, position, step, at, action_type, message, gap_us, price_micros)
SELECT run_key, position, step, at, action_type, message, gap_us, price_micros FROM steps;

DROP TABLE steps;

ALTER TABLE steps_new RENAME TO steps;
