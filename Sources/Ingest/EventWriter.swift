// The one writer behind all of an ingest's stream workers: it gathers their events and appends
// them to the store in few, large transactions (many runs per transaction), which is where
// SQLite's throughput comes from. A full batch is written by a task of its own while the workers
// go on queueing the next one, so that parsing and writing overlap; one write runs at a time, in
// the order the events were queued.

import Ledger

/// Collects events from concurrent workers and appends them in grouped transactions.
package actor EventWriter {
    private let store: any EventStore
    private let maxPending: Int
    private let maxPendingBytes: Int
    private var pending: [RunBatch] = []
    private var pendingIndex: [String: Int] = [:]
    private var pendingCount = 0
    private var pendingBytes = 0
    /// The write under way and the batches it holds (queued again if it fails).
    private var writing: (task: Task<AppendOutcome, any Error>, batches: [RunBatch])?
    /// What every write so far stored.
    package private(set) var totals = AppendOutcome()

    /// The events gathered per transaction for `streams` concurrent streams: at least 20,000, and
    /// about 50 per stream beyond that. Each transaction rewrites the projection row of every run
    /// it touches, so with many streams at once larger batches keep that cost per event low.
    package static func batchSize(streams: Int) -> Int { max(20_000, 50 * streams) }

    /// The bytes of event data gathered per transaction at most: large messages (a stream may
    /// carry many of several MiB) are written before they add up, so memory is bounded in bytes too.
    package static let defaultMaxPendingBytes = 32 << 20

    /// A writer that starts a write once `maxPending` events or `maxPendingBytes` bytes of data are
    /// waiting (and whenever flushed).
    package init(store: any EventStore, maxPending: Int = 20_000, maxPendingBytes: Int = defaultMaxPendingBytes) {
        self.store = store
        self.maxPending = maxPending
        self.maxPendingBytes = maxPendingBytes
    }

    /// Queues `events` of `runID` (in stream order) and starts a write when enough are waiting;
    /// while the write before it is still under way, waits for it first.
    package func submit(_ events: [RawEvent], of runID: String) async throws {
        queue(events, of: runID)
        if pendingCount >= maxPending || pendingBytes >= maxPendingBytes { try await startWrite() }
    }

    /// Stores everything queued so far; returns once it is written. On failure the events that
    /// were not written stay queued.
    package func flush() async throws {
        try await startWrite()
        try await finishWrites()
    }

    private func queue(_ events: [RawEvent], of runID: String) {
        guard !events.isEmpty else { return }
        if let index = pendingIndex[runID] {
            pending[index].events.append(contentsOf: events)
        } else {
            pendingIndex[runID] = pending.count
            pending.append(RunBatch(runID: runID, events: events))
        }
        pendingCount += events.count
        pendingBytes += events.reduce(0) { $0 + $1.data.utf8.count }
    }

    /// Hands everything queued to a write of its own, once the write before it has finished.
    private func startWrite() async throws {
        try await finishWrites()
        guard pendingCount > 0 else { return }
        let batches = pending
        pending.removeAll(keepingCapacity: true)
        pendingIndex.removeAll(keepingCapacity: true)
        pendingCount = 0
        pendingBytes = 0
        writing = (Task.detached { [store] in try await store.append(batches) }, batches)
    }

    /// Waits until no write is under way. Several callers may wait for the same write; the first
    /// to see it end records its outcome, or queues its events again in front of newer ones.
    private func finishWrites() async throws {
        while let current = writing {
            do {
                let outcome = try await current.task.value
                if writing?.task == current.task {
                    writing = nil
                    totals += outcome
                }
            } catch {
                if writing?.task == current.task {
                    writing = nil
                    let newer = pending
                    pending.removeAll()
                    pendingIndex.removeAll()
                    pendingCount = 0
                    pendingBytes = 0
                    for batch in current.batches + newer { queue(batch.events, of: batch.runID) }
                }
                throw error
            }
        }
    }
}
