-- 008_refused_messages: messages a stream sent that Ledger refused to store as events because a
-- field was not valid UTF-8 (text columns and the chain would hold altered bytes). Each is kept
-- aside with its data exactly as received, once per content, and `verify` reports it. Append-only.

CREATE TABLE refused_messages (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    data_hash   BLOB NOT NULL
);

CREATE UNIQUE INDEX refused_messages_by_content ON refused_messages(run_id, event_id, data_hash);

CREATE TRIGGER refused_messages_reject_update BEFORE UPDATE ON refused_messages
BEGIN
    SELECT RAISE(ABORT, 'refused messages are append-only: a row cannot be updated');
END;

CREATE TRIGGER refused_messages_reject_delete BEFORE DELETE ON refused_messages
BEGIN
    SELECT RAISE(ABORT, 'refused messages are append-only: a row cannot be deleted');
END;
