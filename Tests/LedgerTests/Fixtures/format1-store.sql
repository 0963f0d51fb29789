PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
);
INSERT INTO schema_migrations VALUES(1,'events','2026-11-24T03:00:51.464Z');
INSERT INTO schema_migrations VALUES(2,'projections','2026-11-24T03:00:51.465Z');
INSERT INTO schema_migrations VALUES(3,'archives','2026-11-24T03:00:51.466Z');
INSERT INTO schema_migrations VALUES(4,'query_indexes','2026-11-24T03:00:51.466Z');
CREATE TABLE streams (
    run_key           INTEGER PRIMARY KEY,
    run_id            TEXT NOT NULL UNIQUE,
    event_count       INTEGER NOT NULL DEFAULT 0,
    head_hash         BLOB NOT NULL,
    resume_id         TEXT NOT NULL DEFAULT '',
    first_received_at INTEGER,
    last_received_at  INTEGER
);
INSERT INTO streams VALUES(1,'run-format1',7,X'7ef31da2d099bc66f2795d5c8804cae83e2a0c37c0c450a6133d3756da6d0cbd','6',1795489251466954,1795489251537262);
INSERT INTO streams VALUES(2,'run-live',2,X'0d2a85ed343ec3240c092f848aeb6388073f24ce538dcf12f3cbd4d04d5f2dcf','2',1795489251498048,1795489251498048);
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    run_key     INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    hash        BLOB NOT NULL
);
INSERT INTO events VALUES(4,2,'1','state','{"event":"state","state":"queued","ts":"2026-10-01T09:00:01.000Z","machine_id":"m-2"}',1795489251498048,X'3e934da6896fb6051e7353f4d21517246b43bdb212927cda1f235b64e83fdf2c');
INSERT INTO events VALUES(5,2,'2','state','{"event":"state","state":"running","ts":"2026-10-01T09:00:02.000Z"}',1795489251498048,X'0d2a85ed343ec3240c092f848aeb6388073f24ce538dcf12f3cbd4d04d5f2dcf');
CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY,
    run_key     INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    data_hash   BLOB NOT NULL
);
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
INSERT INTO runs VALUES(1,'run-format1','succeeded','m-1','File the expense report','v4',1790845200000000,1790845213000000,1790845204250000,1790845213000000,8750000,0,4250000,3,150000,NULL,0,NULL,NULL,1790845212000000,9,7,1790845213000000,7,9,'6');
INSERT INTO runs VALUES(2,'run-live','running','m-2',NULL,NULL,1790845201000000,1790845202000000,1790845202000000,NULL,NULL,0,1000000,0,0,NULL,0,NULL,NULL,NULL,5,2,1790845202000000,2,5,'2');
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
INSERT INTO steps VALUES(3,1,3,1,1790845206000000,'click','Open the expenses page',NULL,50000);
INSERT INTO steps VALUES(6,1,4,2,1790845209500000,'type','Enter the amount',3500000,50000);
INSERT INTO steps VALUES(8,1,6,3,1790845212000000,'screenshot','Confirm',2500000,50000);
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
INSERT INTO transitions VALUES(1,1,1,'queued',1790845200000000,1790845204250000,4250000);
INSERT INTO transitions VALUES(1,2,2,'running',1790845204250000,1790845213000000,8750000);
INSERT INTO transitions VALUES(1,9,7,'succeeded',1790845213000000,NULL,NULL);
INSERT INTO transitions VALUES(2,4,1,'queued',1790845201000000,1790845202000000,1000000);
INSERT INTO transitions VALUES(2,5,2,'running',1790845202000000,NULL,NULL);
CREATE TABLE prices (
    effective_from  INTEGER PRIMARY KEY,
    micros_per_step INTEGER NOT NULL CHECK (micros_per_step >= 0)
);
INSERT INTO prices VALUES(-9223372036854775808,50000);
CREATE TABLE projection_checkpoints (
    name     TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO projection_checkpoints VALUES('runs',9);
INSERT INTO projection_checkpoints VALUES('steps',9);
INSERT INTO projection_checkpoints VALUES('transitions',9);
CREATE TABLE archive_dictionaries (
    id         INTEGER PRIMARY KEY,
    bytes      BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO archive_dictionaries VALUES(1,X'7b226576656e74223a2273746570222c2273746570223a022c227473223a2201222c22616374696f6e223a7b2274797065223a2274797065222c2274657874223a225461786920022e02227d2c226d657373616765223a22456e7465722074686520616d6f756e74227d7b226576656e74223a2273746570222c2273746570223a022c227473223a2201222c22616374696f6e223a7b2274797065223a2273637265656e73686f74227d2c226d657373616765223a22436f6e6669726d227d7b226576656e74223a2273746570222c2273746570223a022c227473223a2201222c22616374696f6e223a7b2274797065223a22636c69636b222c2278223a022c2279223a027d2c226d657373616765223a224f70656e2074686520657870656e7365732070616765227d7b226576656e74223a227374617465222c227374617465223a22737563636565646564222c227473223a2201222c22726573756c74223a7b227374657073223a027d7d7b226576656e74223a227374617465222c227374617465223a2272756e6e696e67222c227473223a2201227d7b226576656e74223a227374617465222c227374617465223a22717565756564222c227473223a2201222c226d616368696e655f6964223a226d2d02222c227461736b223a2246696c652074686520657870656e7365207265706f7274222c226375615f76657273696f6e223a227602227d7b226576656e74223a226d657373616765222c227473223a2201222c226d657373616765223a22636865636b696e672074686520746f74616c227d',1795489252599488);
CREATE TABLE archives (
    run_key       INTEGER PRIMARY KEY,
    format        INTEGER NOT NULL,
    dictionary_id INTEGER REFERENCES archive_dictionaries (id),
    event_count   INTEGER NOT NULL,
    last_seq      INTEGER NOT NULL,
    raw_bytes     INTEGER NOT NULL,
    stream_sha256 BLOB NOT NULL,
    chain_head    BLOB NOT NULL,
    archived_at   INTEGER NOT NULL,
    blob          BLOB NOT NULL
);
INSERT INTO archives VALUES(1,1,1,7,9,984,X'21d6cb643327d0688d5e5b151246b9d13c7ff219525bfb567e1157e535689623',X'7ef31da2d099bc66f2795d5c8804cae83e2a0c37c0c450a6133d3756da6d0cbd',1795489252603755,X'78f95f50b7e3636738c622c2ce2bc02ec43d90ee262d54e9985ee895b3488e389a674a32730a332b580b0b48841d6a05030323231323030830329b281b32329a324cf97d60c3dcfd1bd818184e9ce2004a14e9646759873a37ccea7c3d2f638bd31ae91b662fd817c85fe06764619cc31cc124aec1cc0c00e13fd3ce');
CREATE TABLE archived_events (
    run_key     INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    type        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (run_key, event_id)
) WITHOUT ROWID;
INSERT INTO archived_events VALUES(1,'1',1,'state',1795489251466954);
INSERT INTO archived_events VALUES(1,'2',2,'state',1795489251466954);
INSERT INTO archived_events VALUES(1,'3',3,'step',1795489251466954);
INSERT INTO archived_events VALUES(1,'4',6,'step',1795489251537262);
INSERT INTO archived_events VALUES(1,'4#1',7,'message',1795489251537262);
INSERT INTO archived_events VALUES(1,'5',8,'step',1795489251537262);
INSERT INTO archived_events VALUES(1,'6',9,'state',1795489251537262);
CREATE UNIQUE INDEX events_by_key ON events(run_key, event_id);
CREATE TRIGGER events_reject_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event row cannot be updated');
END;
CREATE UNIQUE INDEX conflicts_by_content ON conflicts(run_key, event_id, data_hash);
CREATE TRIGGER conflicts_reject_update BEFORE UPDATE ON conflicts
BEGIN
    SELECT RAISE(ABORT, 'conflicts are append-only: a conflict row cannot be updated');
END;
CREATE TRIGGER conflicts_reject_delete BEFORE DELETE ON conflicts
BEGIN
    SELECT RAISE(ABORT, 'conflicts are append-only: a conflict row cannot be deleted');
END;
CREATE INDEX runs_by_first_event ON runs(first_event_at);
CREATE INDEX runs_by_state ON runs(state);
CREATE INDEX runs_by_machine ON runs(machine_id);
CREATE INDEX archives_by_last_seq ON archives (last_seq);
CREATE TRIGGER archived_events_need_archive BEFORE INSERT ON archived_events
WHEN NOT EXISTS (SELECT 1 FROM archives WHERE run_key = NEW.run_key)
BEGIN
    SELECT RAISE(ABORT, 'an archived event needs its run''s archive row first');
END;
CREATE TRIGGER events_reject_delete BEFORE DELETE ON events
WHEN NOT EXISTS (
    SELECT 1 FROM archived_events WHERE run_key = OLD.run_key AND event_id = OLD.event_id AND seq = OLD.seq
)
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event row cannot be deleted before it is archived');
END;
CREATE TRIGGER archives_reject_update BEFORE UPDATE ON archives
BEGIN
    SELECT RAISE(ABORT, 'archives are append-only: an archive row cannot be updated');
END;
CREATE TRIGGER archives_reject_delete BEFORE DELETE ON archives
BEGIN
    SELECT RAISE(ABORT, 'archives are append-only: an archive row cannot be deleted');
END;
CREATE TRIGGER archived_events_reject_update BEFORE UPDATE ON archived_events
BEGIN
    SELECT RAISE(ABORT, 'archived events are append-only: a row cannot be updated');
END;
CREATE TRIGGER archived_events_reject_delete BEFORE DELETE ON archived_events
BEGIN
    SELECT RAISE(ABORT, 'archived events are append-only: a row cannot be deleted');
END;
CREATE TRIGGER archive_dictionaries_reject_update BEFORE UPDATE ON archive_dictionaries
BEGIN
    SELECT RAISE(ABORT, 'archive dictionaries are append-only: a dictionary cannot be updated');
END;
CREATE TRIGGER archive_dictionaries_reject_delete BEFORE DELETE ON archive_dictionaries
BEGIN
    SELECT RAISE(ABORT, 'archive dictionaries are append-only: a dictionary cannot be deleted');
END;
CREATE VIEW event_log (seq, run_key, run_id, event_id, type, data, received_at) AS
    SELECT e.seq, e.run_key, s.run_id, e.event_id, e.type, e.data, e.received_at
    FROM events e JOIN streams s ON s.run_key = e.run_key
    UNION ALL
    SELECT a.seq, a.run_key, s.run_id, a.event_id, a.type, ledger_archived_data(a.run_key, a.event_id), a.received_at
    FROM archived_events a JOIN streams s ON s.run_key = a.run_key;
CREATE INDEX steps_by_run ON steps(run_key, position);
COMMIT;
