-- 005_refused_messages (PostgreSQL): messages refused because a field was not valid UTF-8, kept
-- aside with their data as received, as schema/008_refused_messages.sql keeps them in SQLite.

CREATE TABLE refused_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      text NOT NULL,
    event_id    text NOT NULL,
    type        bytea NOT NULL,
    data        bytea NOT NULL,
    received_at bigint NOT NULL,
    reason      text NOT NULL,
    data_hash   bytea NOT NULL,
    UNIQUE (run_id, event_id, data_hash)
);

CREATE TRIGGER refused_messages_append_only BEFORE UPDATE OR DELETE ON refused_messages
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER refused_messages_no_truncate BEFORE TRUNCATE ON refused_messages
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
