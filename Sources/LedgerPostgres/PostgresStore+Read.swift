// Reading the PostgreSQL store: a run's events in stream order, resume points, runs, conflicts,
// and `verify`, which recomputes every run's chain as the SQLite store's does.

import Ledger
import NIOCore
import PostgresNIO

extension PostgresStore {
    package func events(of runID: String) async throws -> [StoredEvent] {
        try await storedEvents(of: runID, "reading events of run \(runID)", order: "ORDER BY e.position")
    }

    package func lastEvent(of runID: String) async throws -> StoredEvent? {
        try await storedEvents(
            of: runID, "reading the last event of run \(runID)", order: "ORDER BY e.position DESC LIMIT 1",
            newestFirst: true
        ).first
    }

    package func stream(of runID: String) async throws -> StreamSummary? {
        try await summaries("reading the stream of run \(runID)", where: "WHERE run_id = \(runID)").first
    }

    package func streams() async throws -> [StreamSummary] {
        try await summaries("listing runs", where: "")
    }

    package func conflicts() async throws -> [Conflict] {
        try await read("reading conflicts") { connection in
            var conflicts: [Conflict] = []
            for try await (runID, eventID, type, data, receivedAt) in try await connection.query(
                """
                SELECT s.run_id, c.event_id, c.type, c.data, c.received_at
                FROM conflicts c JOIN streams s ON s.run_key = c.run_key ORDER BY c.id
                """, logger: Self.logger
            ).decode((String, String, ByteBuffer, ByteBuffer, Int64).self) {
                conflicts.append(
                    Conflict(
                        runID: runID, eventID: eventID, type: String(buffer: type), data: String(buffer: data),
                        receivedAt: receivedAt))
            }
            return conflicts
        }
    }

    /// Recomputes every run's chain in stream order and compares it with the stored hashes and
    /// each stream's recorded head and count; conflicts kept aside are reported too.
    package func verify(
        progressInterval: Int = 250_000, progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> VerificationReport {
        var report = try await read("verifying") { connection in
            var report = VerificationReport()
            var streams: [Int64: (runID: String, count: Int64, head: [UInt8])] = [:]
            for try await (runKey, runID, count, head) in try await connection.query(
                "SELECT run_key, run_id, event_count, head_hash FROM streams", logger: Self.logger
            ).decode((Int64, String, Int64, ByteBuffer).self) {
                streams[runKey] = (runID, count, Array(head.readableBytesView))
            }
            report.runs = streams.count
            var chains: [Int64: ChainCursor] = [:]
            for (runKey, stream) in streams { chains[runKey] = ChainCursor(head: HashChain.genesis(runID: stream.runID)) }
            // An archived run's chain starts in its archive and goes on through its live events.
            var archives = PostgresArchiveReader(connection)
            for record in try await archives.records(of: nil) {
                let checked = report.events
                report.events += record.tallyCount
                if report.events / progressInterval > checked / progressInterval { progress(report.events) }
                guard var chain = chains[record.runKey] else {
                    report.problems.append(
                        IntegrityProblem(
                            runID: record.runID, eventID: nil, position: nil, kind: .orphanEvent,
                            detail: "an archive belongs to no known run"))
                    continue
                }
                do {
                    if let problem = record.check(try await archives.contents(of: record)) {
                        report.problems.append(problem)
                        chain.broken = true
                    }
                } catch let error as LedgerError {
                    report.problems.append(record.unreadable(error))
                    chain.broken = true
                }
                chain.head = record.chainHead
                chain.position = Int64(record.eventCount)
                chains[record.runKey] = chain
            }
            for try await (runKey, position, eventID, type, data, receivedAt, hash) in try await connection.query(
                """
                SELECT run_key, position, event_id, type, data, received_at, hash FROM events
                ORDER BY run_key, position
                """, logger: Self.logger
            ).decode((Int64, Int64, String, ByteBuffer, ByteBuffer, Int64, ByteBuffer).self) {
                report.events += 1
                if report.events % progressInterval == 0 { progress(report.events) }
                guard let stream = streams[runKey], var chain = chains[runKey] else {
                    report.problems.append(.orphanEvent(runKey: runKey, eventID: eventID))
                    continue
                }
                chain.position += 1
                if !chain.broken {
                    let stored = Array(hash.readableBytesView)
                    let computed = HashChain.next(
                        after: chain.head, eventID: eventID, type: String(buffer: type), data: String(buffer: data),
                        receivedAt: receivedAt)
                    if computed != stored || position != chain.position {
                        chain.broken = true
                        report.problems.append(
                            .chainBreak(runID: stream.runID, eventID: eventID, position: Int(chain.position)))
                    }
                    chain.head = stored
                }
                chains[runKey] = chain
            }
            for (runKey, stream) in streams.sorted(by: { $0.value.runID < $1.value.runID }) {
                guard let chain = chains[runKey], !chain.broken else { continue }
                if chain.position != stream.count || chain.head != stream.head {
                    report.problems.append(
                        .headMismatch(
                            runID: stream.runID, recordedCount: Int(stream.count), chainedCount: Int(chain.position)))
                }
            }
            return report
        }
        report.problems += try await conflicts().map(IntegrityProblem.conflict)
        report.problems += try await refusedMessages().map(IntegrityProblem.refused)
        return report
    }

    /// The events of `runID` in `order` (an ORDER BY clause, and a LIMIT); an archived run's
    /// archived events come first (`newestFirst` when the order is descending), their hashes
    /// recomputed along the chain.
    private func storedEvents(of runID: String, _ context: String, order: String, newestFirst: Bool = false)
        async throws -> [StoredEvent]
    {
        try await read(context) { connection in
            var query: PostgresQuery = """
                SELECT e.position, e.event_id, e.type, e.data, e.received_at, e.hash
                FROM events e JOIN streams s ON s.run_key = e.run_key WHERE s.run_id = \(runID)
                """
            query.sql += " " + order
            var events: [StoredEvent] = []
            for try await row in try await connection.query(query, logger: Self.logger).decode(StoredEventRow.self) {
                events.append(Self.storedEvent(row))
            }
            if newestFirst, !events.isEmpty { return events }
            let archived = try await Self.archivedEvents(of: runID, on: connection)
            return newestFirst ? Array(archived.suffix(1)) : archived + events
        }
    }

    /// The archived events of `runID` in stream order, none when it has no archive.
    private static func archivedEvents(of runID: String, on connection: PostgresConnection) async throws
        -> [StoredEvent]
    {
        var reader = PostgresArchiveReader(connection)
        guard let record = try await reader.record(ofRun: runID) else { return [] }
        var head = HashChain.genesis(runID: runID)
        return try await reader.contents(of: record).events.enumerated().map { index, event in
            head = HashChain.next(
                after: head, eventID: event.eventID, type: event.type, data: event.data, receivedAt: event.receivedAt)
            return StoredEvent(
                position: index + 1, eventID: event.eventID, type: event.type, data: event.data,
                receivedAt: event.receivedAt, hash: head)
        }
    }

    private func summaries(_ context: String, where filter: PostgresQuery) async throws -> [StreamSummary] {
        try await read(context) { connection in
            var query: PostgresQuery = """
                SELECT run_id, event_count, resume_id, first_received_at, last_received_at, head_hash, completed_at
                FROM streams
                """
            query.sql += " " + filter.sql + " ORDER BY run_key"
            query.binds = filter.binds
            var summaries: [StreamSummary] = []
            for try await (runID, count, resumeID, first, last, head, completed) in try await connection.query(
                query, logger: Self.logger
            ).decode((String, Int64, String, Int64?, Int64?, ByteBuffer, Int64?).self) {
                summaries.append(
                    StreamSummary(
                        runID: runID, eventCount: Int(count), resumeID: resumeID, firstReceivedAt: first,
                        lastReceivedAt: last, headHash: Array(head.readableBytesView), completedAt: completed))
            }
            return summaries
        }
    }

    /// position, event_id, type, data, received_at, hash.
    private typealias StoredEventRow = (Int64, String, ByteBuffer, ByteBuffer, Int64, ByteBuffer)

    private static func storedEvent(_ row: StoredEventRow) -> StoredEvent {
        StoredEvent(
            position: Int(row.0), eventID: row.1, type: String(buffer: row.2), data: String(buffer: row.3),
            receivedAt: row.4, hash: Array(row.5.readableBytesView))
    }
}

/// Where the recomputation of one run's chain stands.
private struct ChainCursor {
    var head: [UInt8]
    var position: Int64 = 0
    var broken = false
}
