// The narrow interface of the raw event store: what ingest writes through and what `verify`
// and `migrate-store` read. The SQLite file (LedgerStore) and PostgreSQL (LedgerPostgres) both
// implement it with the same guarantees: idempotent appends keyed by (run, event id), conflicts
// kept aside, a hash chain per run, append-only rows.

/// A store of raw events that several backends provide.
package protocol EventStore: Sendable {
    /// Appends the events of many runs in one transaction, each batch's events in stream order;
    /// a known key with the same content is a no-op, with other content it is kept aside.
    @discardableResult
    func append(_ batches: [RunBatch]) async throws -> AppendOutcome
    /// The events of `runID` in stream order; empty when the run is unknown.
    func events(of runID: String) async throws -> [StoredEvent]
    /// The last event of `runID` in stream order, or nil when nothing of it is stored.
    func lastEvent(of runID: String) async throws -> StoredEvent?
    /// The stream state of `runID` (its resume point), or nil when nothing of it is stored.
    func stream(of runID: String) async throws -> StreamSummary?
    /// Every run with stored events, in the order they were first stored (the runs first stored
    /// by one append in an order of the backend's choosing).
    func streams() async throws -> [StreamSummary]
    /// Records that `runID`'s stream was confirmed complete at `at`, provided the store still holds
    /// exactly `eventCount` of its events; returns false (and records nothing) otherwise.
    @discardableResult
    func markComplete(_ runID: String, eventCount: Int, at: Int64) async throws -> Bool
    /// Keeps aside messages refused because a field was not valid UTF-8; one already kept with
    /// the same content is a no-op.
    func keepRefused(_ messages: [RefusedMessage]) async throws
    /// The refused messages kept aside, oldest first.
    func refusedMessages() async throws -> [RefusedMessage]
    /// The conflicting redeliveries kept aside, oldest first.
    func conflicts() async throws -> [Conflict]
    /// Counts, sizes and dates of what the store holds.
    func statistics() async throws -> StoreStatistics
    /// Recomputes every run's chain; `progress` gets the events checked so far, every `progressInterval`.
    func verify(progressInterval: Int, progress: @escaping @Sendable (Int) -> Void) async throws -> VerificationReport
}

extension LedgerStore: EventStore {
    /// Appends with the projections kept live (see `append(_:projections:)`).
    @discardableResult
    package func append(_ batches: [RunBatch]) throws -> AppendOutcome {
        try append(batches, projections: .live)
    }
}
