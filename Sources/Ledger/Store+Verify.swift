// Verification: recompute every run's hash chain from its stored events and compare it with the
// stored hashes and the stream's recorded head and count. An archived run's chain starts in its
// archive (decompressed, its SHA-256 and keys checked) and goes on through any later live events.
// The first bad record of each run is named; conflicting redeliveries kept aside are reported too.

import Foundation
import GRDB

/// One thing `verify` found wrong.
package struct IntegrityProblem: Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable {
        /// An event's stored hash is not what its content and predecessor give: the row or one before it changed.
        case tamperedEvent = "tampered_event"
        /// The chain is intact but does not end where the stream's head says: events were removed or added.
        case headMismatch = "head_mismatch"
        /// A redelivery had the same key as a stored event but different content.
        case conflict
        /// An event row belongs to no known run.
        case orphanEvent = "orphan_event"
        /// A run's archive does not decompress, or disagrees with its SHA-256, keys or chain head.
        case corruptArchive = "corrupt_archive"
        /// A message was refused (a field not valid UTF-8) and kept aside, not stored as an event.
        case refusedMessage = "refused_message"
    }

    package var runID: String
    /// The event the problem was found at, when there is one.
    package var eventID: String?
    /// Its 1-based position in the run's stream.
    package var position: Int?
    package var kind: Kind
    package var detail: String

    package init(runID: String, eventID: String?, position: Int?, kind: Kind, detail: String) {
        self.runID = runID
        self.eventID = eventID
        self.position = position
        self.kind = kind
        self.detail = detail
    }
}

extension IntegrityProblem {
    /// An event whose stored hash is not what its content and its predecessor's hash give.
    package static func chainBreak(runID: String, eventID: String, position: Int) -> IntegrityProblem {
        IntegrityProblem(
            runID: runID, eventID: eventID, position: position, kind: .tamperedEvent,
            detail: "hash chain breaks at event \(position): this record or the one before it was altered")
    }

    /// A run whose intact chain does not end where its stream's recorded head and count say.
    package static func headMismatch(runID: String, recordedCount: Int, chainedCount: Int) -> IntegrityProblem {
        IntegrityProblem(
            runID: runID, eventID: nil, position: nil, kind: .headMismatch,
            detail: "stream records \(recordedCount) events but \(chainedCount) "
                + "chain to a different head: events were removed or inserted")
    }

    /// An event row whose run key names no stream.
    package static func orphanEvent(runKey: Int64, eventID: String) -> IntegrityProblem {
        IntegrityProblem(
            runID: "run_key \(runKey)", eventID: eventID, position: nil, kind: .orphanEvent,
            detail: "event row belongs to no known run")
    }

    /// A redelivery kept aside because its key was stored with other content.
    package static func conflict(_ conflict: Conflict) -> IntegrityProblem {
        IntegrityProblem(
            runID: conflict.runID, eventID: conflict.eventID, position: nil, kind: .conflict,
            detail: "redelivered with different content (received \(UTCTime.format(conflict.receivedAt)))")
    }
}

/// What `verify` checked and found.
package struct VerificationReport: Sendable, Equatable {
    package var runs = 0
    package var events = 0
    package var problems: [IntegrityProblem] = []

    package init() {}

    package var isIntact: Bool { problems.isEmpty }
}

extension LedgerStore {
    /// Recomputes every run's chain. `progress` is called with the number of events checked so far,
    /// every `progressInterval` events.
    package func verify(
        progressInterval: Int = 250_000, progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> VerificationReport {
        try read("verifying") { db in
            var report = VerificationReport()
            var cursors: [Int64: ChainCursor] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT run_key, run_id, event_count, head_hash FROM streams") {
                let runID: String = row[1]
                cursors[row[0]] = ChainCursor(
                    runID: runID, expectedCount: row[2], expectedHead: [UInt8](row[3] as Data),
                    head: HashChain.genesis(runID: runID))
            }
            report.runs = cursors.count
            try verifyArchives(db, &cursors, &report, progressInterval: progressInterval, progress: progress)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT run_key, event_id, CAST(type AS BLOB), CAST(data AS BLOB), received_at, hash
                    FROM events ORDER BY seq
                    """)
            while let row = try rows.next() {
                report.events += 1
                if report.events % progressInterval == 0 { progress(report.events) }
                let runKey: Int64 = row[0]
                let eventID: String = row[1]
                guard var cursor = cursors[runKey] else {
                    report.problems.append(.orphanEvent(runKey: runKey, eventID: eventID))
                    continue
                }
                cursor.position += 1
                if !cursor.broken {
                    let stored = [UInt8](row[5] as Data)
                    let computed = HashChain.next(
                        after: cursor.head, eventID: eventID, type: row.exactText(2), data: row.exactText(3),
                        receivedAt: row[4])
                    if computed != stored {
                        cursor.broken = true
                        report.problems.append(
                            .chainBreak(runID: cursor.runID, eventID: eventID, position: cursor.position))
                    }
                    cursor.head = stored
                }
                cursors[runKey] = cursor
            }
            for cursor in cursors.values.sorted(by: { $0.runID < $1.runID }) where !cursor.broken {
                if cursor.position != cursor.expectedCount || cursor.head != cursor.expectedHead {
                    report.problems.append(
                        .headMismatch(
                            runID: cursor.runID, recordedCount: cursor.expectedCount, chainedCount: cursor.position))
                }
            }
            report.problems += try conflicts(db).map(IntegrityProblem.conflict)
            report.problems += try refusedMessages(db).map(IntegrityProblem.refused)
            return report
        }
    }

    /// Checks every archive and starts its run's cursor after the archived events.
    private func verifyArchives(
        _ db: Database, _ cursors: inout [Int64: ChainCursor], _ report: inout VerificationReport,
        progressInterval: Int, progress: (Int) -> Void
    ) throws {
        var reader = try ArchiveReader(db)
        for runKey in try Int64.fetchAll(db, sql: "SELECT run_key FROM archives ORDER BY run_key") {
            guard let record = try reader.record(of: runKey) else { continue }
            let checked = report.events
            report.events += record.tallyCount
            if report.events / progressInterval > checked / progressInterval { progress(report.events) }
            guard var cursor = cursors[runKey] else {
                report.problems.append(
                    IntegrityProblem(
                        runID: record.runID, eventID: nil, position: nil, kind: .orphanEvent,
                        detail: "an archive belongs to no known run"))
                continue
            }
            if let problem = check(record, reader: &reader, cursor: &cursor) {
                report.problems.append(problem)
                cursor.broken = true
            }
            cursors[runKey] = cursor
        }
    }

    /// Decodes `record` and checks it against its SHA-256, its seqs and its chain head; on success
    /// `cursor` stands after the archived events. Returns the first thing found wrong.
    private func check(_ record: ArchiveRecord, reader: inout ArchiveReader, cursor: inout ChainCursor)
        -> IntegrityProblem?
    {
        let contents: ArchiveContents
        do {
            contents = try reader.contents(of: record)
        } catch {
            return record.unreadable(error)
        }
        if let problem = record.check(contents) { return problem }
        cursor.head = record.chainHead
        cursor.position = contents.events.count
        return nil
    }
}

/// Where the recomputation of one run's chain stands.
private struct ChainCursor {
    var runID: String
    var expectedCount: Int
    var expectedHead: [UInt8]
    var head: [UInt8]
    var position = 0
    var broken = false
}
