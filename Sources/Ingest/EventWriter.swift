// The one writer behind all of an ingest's stream workers: it gathers their events and appends
// them to the store in few, large transactions (many runs per transaction), which is where
// SQLite's throughput comes from.

import Ledger

/// Collects events from concurrent workers and appends them in grouped transactions.
package actor EventWriter {
    private let store: LedgerStore
    private let maxPending: Int
    private var pending: [RunBatch] = []
    private var pendingIndex: [String: Int] = [:]
    private var pendingCount = 0
    /// What every flush so far stored.
    package private(set) var totals = AppendOutcome()

    /// A writer that flushes once `maxPending` events are waiting (and whenever asked).
    package init(store: LedgerStore, maxPending: Int = 20_000) {
        self.store = store
        self.maxPending = maxPending
    }

    /// Queues `events` of `runID` (in stream order) and flushes when enough are waiting.
    package func submit(_ events: [RawEvent], of runID: String) throws {
        guard !events.isEmpty else { return }
        if let index = pendingIndex[runID] {
            pending[index].events.append(contentsOf: events)
        } else {
            pendingIndex[runID] = pending.count
            pending.append(RunBatch(runID: runID, events: events))
        }
        pendingCount += events.count
        if pendingCount >= maxPending { try flush() }
    }

    /// Appends everything queued in one transaction. On failure the events stay queued.
    package func flush() throws {
        guard pendingCount > 0 else { return }
        totals += try store.append(pending)
        pending.removeAll(keepingCapacity: true)
        pendingIndex.removeAll(keepingCapacity: true)
        pendingCount = 0
    }
}
