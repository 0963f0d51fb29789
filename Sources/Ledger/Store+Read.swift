// Reading what the store holds: a run's events in stream order (live and archived alike, through
// the `event_log` view), where each run's stream resumes, which runs exist, and the conflicting
// redeliveries kept aside.

import Foundation
import GRDB

/// A redelivered event whose key was already stored with different content.
package struct Conflict: Sendable, Equatable {
    package var runID: String
    package var eventID: String
    package var type: String
    package var data: String
    package var receivedAt: Int64

    package init(runID: String, eventID: String, type: String, data: String, receivedAt: Int64) {
        self.runID = runID
        self.eventID = eventID
        self.type = type
        self.data = data
        self.receivedAt = receivedAt
    }
}

/// A run's stream as the store tracks it.
package struct StreamSummary: Sendable, Equatable {
    package var runID: String
    package var eventCount: Int
    /// The real event id to send as `Last-Event-ID` to continue the stream ("" to start over).
    package var resumeID: String
    package var firstReceivedAt: Int64?
    package var lastReceivedAt: Int64?
    /// The run's hash chain value after its last event (the genesis value before any).
    package var headHash: [UInt8]
    /// When the stream was confirmed complete (a resume after its last event brought nothing new
    /// and the run was terminal), or nil while the run is open.
    package var completedAt: Int64?

    package init(
        runID: String, eventCount: Int, resumeID: String, firstReceivedAt: Int64?, lastReceivedAt: Int64?,
        headHash: [UInt8], completedAt: Int64? = nil
    ) {
        self.runID = runID
        self.eventCount = eventCount
        self.resumeID = resumeID
        self.firstReceivedAt = firstReceivedAt
        self.lastReceivedAt = lastReceivedAt
        self.headHash = headHash
        self.completedAt = completedAt
    }

    /// Whether the stream was confirmed complete.
    package var isComplete: Bool { completedAt != nil }
}

extension LedgerStore {
    /// The events of `runID` in stream order; empty when the run is unknown. Archives keep no
    /// per-event hashes, so those of archived events are recomputed along the chain.
    package func events(of runID: String) throws -> [StoredEvent] {
        try read("reading events of run \(runID)") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT e.event_id, CAST(e.type AS BLOB), CAST(e.data AS BLOB), e.received_at, live.hash
                    FROM event_log e LEFT JOIN events live ON live.seq = e.seq
                    WHERE e.run_id = ? ORDER BY e.seq
                    """,
                arguments: [runID])
            var events: [StoredEvent] = []
            var head = HashChain.genesis(runID: runID)
            while let row = try rows.next() {
                let event = RawEvent(
                    eventID: row[0], type: row.exactText(1), data: row.exactText(2), receivedAt: row[3])
                head =
                    (row[4] as Data?).map { [UInt8]($0) }
                    ?? HashChain.next(
                        after: head, eventID: event.eventID, type: event.type, data: event.data,
                        receivedAt: event.receivedAt)
                events.append(
                    StoredEvent(
                        position: events.count + 1, eventID: event.eventID, type: event.type, data: event.data,
                        receivedAt: event.receivedAt, hash: head))
            }
            return events
        }
    }

    /// The last event of `runID` in stream order, or nil when nothing of it is stored.
    package func lastEvent(of runID: String) throws -> StoredEvent? {
        try read("reading the last event of run \(runID)") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT e.event_id, CAST(e.type AS BLOB), CAST(e.data AS BLOB), e.received_at,
                        coalesce(live.hash, a.chain_head), s.event_count
                    FROM event_log e JOIN streams s ON s.run_key = e.run_key
                        LEFT JOIN events live ON live.seq = e.seq LEFT JOIN archives a ON a.run_key = e.run_key
                    WHERE e.run_id = ? ORDER BY e.seq DESC LIMIT 1
                    """,
                arguments: [runID]
            ).map {
                StoredEvent(
                    position: $0[5], eventID: $0[0], type: $0.exactText(1), data: $0.exactText(2), receivedAt: $0[3],
                    hash: [UInt8]($0[4] as Data))
            }
        }
    }

    /// The stream state of `runID`, or nil when nothing of it is stored.
    package func stream(of runID: String) throws -> StreamSummary? {
        try read("reading the stream of run \(runID)") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT run_id, event_count, resume_id, first_received_at, last_received_at, head_hash,
                        completed_at
                    FROM streams WHERE run_id = ?
                    """,
                arguments: [runID]
            ).map(Self.streamSummary)
        }
    }

    /// Every run with stored events, in the order they were first seen.
    package func streams() throws -> [StreamSummary] {
        try read("listing runs") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT run_id, event_count, resume_id, first_received_at, last_received_at, head_hash,
                        completed_at
                    FROM streams ORDER BY run_key
                    """
            ).map(Self.streamSummary)
        }
    }

    /// The conflicting redeliveries kept aside, oldest first.
    package func conflicts() throws -> [Conflict] {
        try read("reading conflicts") { db in try conflicts(db) }
    }

    func conflicts(_ db: Database) throws -> [Conflict] {
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.run_id, c.event_id, CAST(c.type AS BLOB), CAST(c.data AS BLOB), c.received_at
                    FROM conflicts c JOIN streams s ON s.run_key = c.run_key ORDER BY c.id
                    """
            ).map {
                Conflict(
                    runID: $0[0], eventID: $0[1], type: $0.exactText(2), data: $0.exactText(3), receivedAt: $0[4])
            }
    }

    private static func streamSummary(_ row: Row) -> StreamSummary {
        StreamSummary(
            runID: row[0], eventCount: row[1], resumeID: row[2], firstReceivedAt: row[3], lastReceivedAt: row[4],
            headHash: [UInt8](row[5] as Data), completedAt: row[6])
    }
}
