// Appending to the PostgreSQL store: one transaction per call, a few statements each taking
// every event of the call as arrays (unnest), whatever the number of runs; the runs'
// projections move in the same transaction.

import Ledger
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Appends the events of many runs in one transaction (see `EventStore.append(_:)`). Each run's
    /// stream row is locked first, so concurrent appends to one run chain one after the other.
    @discardableResult
    package func append(_ batches: [RunBatch]) async throws -> AppendOutcome {
        var runIDs: [String] = []
        var eventsByRun: [String: [RawEvent]] = [:]
        for batch in batches where !batch.events.isEmpty {
            if eventsByRun[batch.runID] == nil { runIDs.append(batch.runID) }
            eventsByRun[batch.runID, default: []] += batch.events
        }
        guard !runIDs.isEmpty else { return AppendOutcome() }
        let lockOrder = runIDs.sorted()
        return try await transaction("appending events") { [runIDs, eventsByRun] connection in
            let genesis = lockOrder.map { ByteBuffer(bytes: HashChain.genesis(runID: $0)) }
            try await connection.query(
                """
                INSERT INTO streams (run_id, head_hash)
                SELECT run_id, head_hash FROM unnest(\(lockOrder)::text[], \(genesis)::bytea[]) AS u(run_id, head_hash)
                ORDER BY run_id
                ON CONFLICT (run_id) DO NOTHING
                """, logger: Self.logger)
            var streams: [String: PostgresStream] = [:]
            var archivedRunKeys: [Int64] = []
            for try await (runKey, runID, count, head, resumeID, first, last, archived) in try await connection.query(
                """
                SELECT run_key, run_id, event_count, head_hash, resume_id, first_received_at, last_received_at,
                    EXISTS (SELECT 1 FROM archives a WHERE a.run_key = s.run_key)
                FROM streams s WHERE run_id = ANY(\(lockOrder)::text[]) ORDER BY run_id FOR UPDATE
                """, logger: Self.logger
            ).decode((Int64, String, Int64, ByteBuffer, String, Int64?, Int64?, Bool).self) {
                streams[runID] = PostgresStream(
                    runKey: runKey, count: count, head: Array(head.readableBytesView), resumeID: resumeID,
                    firstReceivedAt: first, lastReceivedAt: last)
                if archived { archivedRunKeys.append(runKey) }
            }
            // The unique key does not reach archived events: their keys are known from the archives.
            let archived = try await Self.archivedContent(of: archivedRunKeys, on: connection)
            // Redeliveries are rare once a run streams, so the events are first inserted as if all
            // were new; only when some key turns out to be stored already is that undone and the
            // append planned again from the stored content of its keys.
            var plan = AppendPlan(runIDs: runIDs, eventsByRun: eventsByRun, streams: streams, known: archived)
            let anyStored = streams.values.contains { $0.count > 0 }
            if anyStored { try await connection.query("SAVEPOINT optimistic", logger: Self.logger) }
            var seqs = try await self.insert(plan.inserts, on: connection)
            if anyStored {
                if seqs.count == plan.inserts.runKeys.count {
                    try await connection.query("RELEASE SAVEPOINT optimistic", logger: Self.logger)
                } else {
                    try await connection.query("ROLLBACK TO SAVEPOINT optimistic", logger: Self.logger)
                    let known = try await self.storedContent(of: runIDs, eventsByRun, streams, on: connection)
                    plan = AppendPlan(
                        runIDs: runIDs, eventsByRun: eventsByRun, streams: streams,
                        known: known.merging(archived) { live, _ in live })
                    seqs = try await self.insert(plan.inserts, on: connection)
                }
            }
            let conflicts = plan.conflicts
            let changed = plan.changed
            if !conflicts.runKeys.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO conflicts (run_key, event_id, type, data, received_at, data_hash)
                    SELECT * FROM unnest(\(conflicts.runKeys)::bigint[], \(conflicts.eventIDs)::text[],
                        \(conflicts.types)::bytea[], \(conflicts.data)::bytea[], \(conflicts.receivedAt)::bigint[],
                        \(conflicts.digests)::bytea[])
                    ON CONFLICT (run_key, event_id, data_hash) DO NOTHING
                    """, logger: Self.logger)
            }
            if !changed.isEmpty {
                try await connection.query(
                    """
                    UPDATE streams AS s SET event_count = u.event_count, head_hash = u.head_hash,
                        resume_id = u.resume_id, first_received_at = u.first_received_at,
                        last_received_at = u.last_received_at,
                        completed_at = CASE WHEN u.reopened THEN NULL ELSE s.completed_at END
                    FROM unnest(\(changed.map(\.runKey))::bigint[], \(changed.map(\.count))::bigint[],
                        \(changed.map { ByteBuffer(bytes: $0.head) })::bytea[], \(changed.map(\.resumeID))::text[],
                        \(changed.map { $0.firstReceivedAt ?? 0 })::bigint[], \(changed.map { $0.lastReceivedAt ?? 0 })::bigint[],
                        \(changed.map(\.reopened))::boolean[])
                        AS u(run_key, event_count, head_hash, resume_id, first_received_at, last_received_at, reopened)
                    WHERE s.run_key = u.run_key
                    """, logger: Self.logger)
            }
            let appended = plan.inserts.appended(seqs: seqs, runIDs: streams)
            try await Self.project(runKeys: changed.map(\.runKey), appended: appended, on: connection)
            return plan.outcome
        }
    }

    /// Inserts `rows` into `events`; returns the seq of each new one by its place in its run.
    private func insert(_ rows: EventRows, on connection: PostgresConnection) async throws -> [EventPlace: Int64] {
        guard !rows.runKeys.isEmpty else { return [:] }
        var seqs: [EventPlace: Int64] = [:]
        for try await (runKey, position, seq) in try await connection.query(
            """
            INSERT INTO events (run_key, position, event_id, type, data, received_at, hash)
            SELECT * FROM unnest(\(rows.runKeys)::bigint[], \(rows.positions)::bigint[],
                \(rows.eventIDs)::text[], \(rows.types)::bytea[], \(rows.data)::bytea[],
                \(rows.receivedAt)::bigint[], \(rows.digests)::bytea[])
            ON CONFLICT (run_key, event_id) DO NOTHING
            RETURNING run_key, position, seq
            """, logger: Self.logger
        ).decode((Int64, Int64, Int64).self) {
            seqs[EventPlace(runKey: runKey, position: position)] = seq
        }
        return seqs
    }

    /// The type and data of every archived event of `runKeys`, by key.
    private static func archivedContent(of runKeys: [Int64], on connection: PostgresConnection) async throws
        -> [EventKey: (type: String, data: String)]
    {
        guard !runKeys.isEmpty else { return [:] }
        var reader = PostgresArchiveReader(connection)
        var known: [EventKey: (type: String, data: String)] = [:]
        for record in try await reader.records(of: runKeys) {
            for event in try await reader.contents(of: record).events {
                known[EventKey(runKey: record.runKey, eventID: event.eventID)] = (event.type, event.data)
            }
        }
        return known
    }

    /// The stored type and data of every key among `eventsByRun` that the store already has.
    private func storedContent(
        of runIDs: [String], _ eventsByRun: [String: [RawEvent]], _ streams: [String: PostgresStream],
        on connection: PostgresConnection
    ) async throws -> [EventKey: (type: String, data: String)] {
        var runKeys: [Int64] = []
        var eventIDs: [String] = []
        for runID in runIDs {
            // A run with no events yet has no keys to look up.
            guard let stream = streams[runID], stream.count > 0 else { continue }
            for event in eventsByRun[runID] ?? [] {
                runKeys.append(stream.runKey)
                eventIDs.append(event.eventID)
            }
        }
        var known: [EventKey: (type: String, data: String)] = [:]
        guard !runKeys.isEmpty else { return known }
        for try await (runKey, eventID, type, data) in try await connection.query(
            """
            SELECT e.run_key, e.event_id, e.type, e.data
            FROM unnest(\(runKeys)::bigint[], \(eventIDs)::text[]) AS k(run_key, event_id)
            JOIN events e ON e.run_key = k.run_key AND e.event_id = k.event_id
            """, logger: Self.logger
        ).decode((Int64, String, ByteBuffer, ByteBuffer).self) {
            known[EventKey(runKey: runKey, eventID: eventID)] = (String(buffer: type), String(buffer: data))
        }
        return known
    }
}

/// What an append writes, given which of its keys are stored already (`known`): the new events
/// chained on from each stream's head, the conflicts, and the streams that moved.
private struct AppendPlan {
    var outcome = AppendOutcome()
    var inserts = EventRows()
    var conflicts = EventRows()
    var changed: [PostgresStream] = []

    init(
        runIDs: [String], eventsByRun: [String: [RawEvent]], streams: [String: PostgresStream],
        known: [EventKey: (type: String, data: String)]
    ) {
        var known = known
        for runID in runIDs {
            guard var stream = streams[runID] else { continue }
            let before = stream.count
            for event in eventsByRun[runID] ?? [] {
                let key = EventKey(runKey: stream.runKey, eventID: event.eventID)
                if let stored = known[key] {
                    if stored.type == event.type && stored.data == event.data {
                        outcome.duplicate += 1
                    } else {
                        conflicts.append(
                            event, runKey: stream.runKey, position: 0,
                            digest: HashChain.contentDigest(type: event.type, data: event.data))
                        outcome.conflict += 1
                    }
                    continue
                }
                stream.head = HashChain.next(
                    after: stream.head, eventID: event.eventID, type: event.type, data: event.data,
                    receivedAt: event.receivedAt)
                stream.count += 1
                if let resumeID = event.resumeID {
                    stream.resumeID = resumeID
                    stream.reopened = true
                }
                stream.firstReceivedAt = stream.firstReceivedAt ?? event.receivedAt
                stream.lastReceivedAt = event.receivedAt
                inserts.append(event, runKey: stream.runKey, position: stream.count, digest: stream.head)
                known[key] = (event.type, event.data)
                outcome.new += 1
            }
            if stream.count != before { changed.append(stream) }
        }
    }
}

/// A run's stream row as an append reads and moves it.
private struct PostgresStream {
    var runKey: Int64
    var count: Int64
    var head: [UInt8]
    var resumeID: String
    var firstReceivedAt: Int64?
    var lastReceivedAt: Int64?
    /// Set when the append stores a new event from the stream, which opens a run confirmed complete.
    var reopened = false
}

/// An event's place: its run and its position in the run's stream.
private struct EventPlace: Hashable {
    var runKey: Int64
    var position: Int64
}

private struct EventKey: Hashable {
    var runKey: Int64
    var eventID: String
}

/// Event or conflict rows as column arrays, the way `unnest` takes them.
private struct EventRows {
    var runKeys: [Int64] = []
    var positions: [Int64] = []
    var eventIDs: [String] = []
    /// Type and data as their UTF-8 bytes, as the store keeps them.
    var types: [ByteBuffer] = []
    var data: [ByteBuffer] = []
    var receivedAt: [Int64] = []
    /// The chain hash of an event, the content digest of a conflict.
    var digests: [ByteBuffer] = []
    var events: [RawEvent] = []

    mutating func append(_ event: RawEvent, runKey: Int64, position: Int64, digest: [UInt8]) {
        events.append(event)
        runKeys.append(runKey)
        positions.append(position)
        eventIDs.append(event.eventID)
        types.append(ByteBuffer(string: event.type))
        data.append(ByteBuffer(string: event.data))
        receivedAt.append(event.receivedAt)
        digests.append(ByteBuffer(bytes: digest))
    }

    /// The rows as appended events for the projections, with the seqs the insert gave them.
    func appended(seqs: [EventPlace: Int64], runIDs streams: [String: PostgresStream]) -> [AppendedEvent] {
        let runIDs = Dictionary(streams.map { ($0.value.runKey, $0.key) }, uniquingKeysWith: { first, _ in first })
        return events.indices.compactMap { index in
            guard let seq = seqs[EventPlace(runKey: runKeys[index], position: positions[index])] else { return nil }
            return AppendedEvent(
                seq: seq, runKey: runKeys[index], runID: runIDs[runKeys[index]] ?? "", position: positions[index],
                event: events[index])
        }
    }
}
