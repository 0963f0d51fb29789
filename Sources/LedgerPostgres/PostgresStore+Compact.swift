// Compaction in PostgreSQL, as in SQLite: the raw events of old terminal runs move into archives
// (the same zlib blobs, as bytea), one transaction per run with its stream row locked, so a kill
// at any moment leaves each run wholly live or wholly archived. A run's stored chain is checked,
// and its archive decoded back, before its event rows are deleted; a run too large to archive in
// bounded memory is left live and named. Space comes back to the
// server's free space map with VACUUM (the server's autovacuum does it too, later).

import Foundation
import Ledger
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Archives every terminal run whose last event arrived before `cutoff` (UTC microseconds)
    /// and that has no archive yet (only those of `runIDs` when given). `progress` gets the summary
    /// so far and the number of runs to archive. File sizes are the database's (`pg_database_size`);
    /// `.vacuum` runs VACUUM on the events afterwards, `.incremental` leaves freed rows to autovacuum.
    package func archiveRuns(
        before cutoff: Int64, only runIDs: Set<String>?, reclaim: SpaceReclaim,
        progress: @escaping @Sendable (_ sofar: CompactionSummary, _ candidates: Int) -> Void
    ) async throws -> CompactionSummary {
        try await catchUpProjections()
        var summary = CompactionSummary()
        summary.fileBytesBefore = try await databaseBytes()
        let terminal = EventFacts.terminalStates
        let found = try await read("finding runs to compact") { connection in
            var candidates: [(runKey: Int64, runID: String, bytes: Int64)] = []
            for try await candidate in try await connection.query(
                """
                SELECT s.run_key, s.run_id,
                    (SELECT coalesce(sum(octet_length(e.type) + octet_length(e.data)), 0)::bigint
                     FROM events e WHERE e.run_key = s.run_key)
                FROM streams s JOIN runs r ON r.run_key = s.run_key
                WHERE s.last_received_at < \(cutoff) AND r.state = ANY(\(terminal)::text[])
                    AND NOT EXISTS (SELECT 1 FROM archives a WHERE a.run_key = s.run_key)
                ORDER BY s.run_key
                """, logger: Self.logger
            ).decode((Int64, String, Int64).self) where runIDs?.contains(candidate.1) ?? true {
                candidates.append(candidate)
            }
            return candidates
        }
        summary.tooLarge = found.filter { $0.bytes > RefusedRun.largestArchivedStream }.map {
            RefusedRun.tooLarge(runID: $0.runID, bytes: $0.bytes)
        }
        let candidates = found.filter { $0.bytes <= RefusedRun.largestArchivedStream }
        if !candidates.isEmpty {
            let dictionary = try await presetDictionary(sampling: candidates.map(\.runKey))
            for candidate in candidates {
                summary = try await transaction("archiving run \(candidate.runID)") { [summary] connection in
                    var summary = summary
                    try await Self.archive(
                        candidate.runKey, runID: candidate.runID, before: cutoff, dictionary, on: connection, &summary)
                    return summary
                }
                progress(summary, candidates.count)
            }
        }
        if reclaim == .vacuum {
            try await read("giving space back") { connection in
                try await connection.query("VACUUM events", logger: Self.logger)
            }
        }
        summary.fileBytesAfter = try await databaseBytes()
        return summary
    }

    /// The runs that have an archive.
    package func archivedRunIDs() async throws -> Set<String> {
        try await read("listing archived runs") { connection in
            var runIDs: Set<String> = []
            for try await runID in try await connection.query(
                "SELECT s.run_id FROM archives a JOIN streams s ON s.run_key = a.run_key", logger: Self.logger
            ).decode(String.self) {
                runIDs.insert(runID)
            }
            return runIDs
        }
    }

    /// Archives one run if it is still eligible, in the caller's transaction.
    private static func archive(
        _ runKey: Int64, runID: String, before cutoff: Int64, _ dictionary: (id: Int64, bytes: [UInt8]),
        on connection: PostgresConnection, _ summary: inout CompactionSummary
    ) async throws {
        var stream: (count: Int, head: [UInt8])?
        for try await (count, head) in try await connection.query(
            """
            SELECT s.event_count, s.head_hash FROM streams s JOIN runs r ON r.run_key = s.run_key
            WHERE s.run_key = \(runKey) AND s.last_received_at < \(cutoff)
                AND r.state = ANY(\(EventFacts.terminalStates)::text[])
                AND NOT EXISTS (SELECT 1 FROM archives a WHERE a.run_key = s.run_key)
            FOR UPDATE OF s
            """, logger: logger
        ).decode((Int, ByteBuffer).self) {
            stream = (count, Array(head.readableBytesView))
        }
        guard let stream else { return }
        var events: [RawEvent] = []
        var seqs: [Int64] = []
        var hashes: [[UInt8]] = []
        for try await (seq, eventID, type, data, receivedAt, hash) in try await connection.query(
            """
            SELECT seq, event_id, type, data, received_at, hash FROM events
            WHERE run_key = \(runKey) ORDER BY position
            """, logger: logger
        ).decode((Int64, String, ByteBuffer, ByteBuffer, Int64, ByteBuffer).self) {
            events.append(
                RawEvent(eventID: eventID, type: String(buffer: type), data: String(buffer: data), receivedAt: receivedAt))
            seqs.append(seq)
            hashes.append(Array(hash.readableBytesView))
        }
        guard let lastSeq = seqs.last else { return }
        let encoded: EncodedArchive
        do throws(CodecFailure) {
            encoded = try ArchiveCodec.archive(
                runID: runID, events, seqs: seqs, hashes: hashes, recordedCount: stream.count,
                recordedHead: stream.head, dictionary: dictionary.bytes)
        } catch {
            summary.refused.append(RefusedRun(runID: runID, reason: error.reason))
            return
        }
        try await connection.query(
            """
            INSERT INTO archives (run_key, format, dictionary_id, event_count, last_seq, raw_bytes, stream_sha256,
                chain_head, archived_at, blob)
            VALUES (\(runKey), \(ArchiveCodec.format), \(dictionary.id), \(events.count), \(lastSeq),
                \(encoded.rawBytes), \(ByteBuffer(bytes: encoded.streamSHA256)), \(ByteBuffer(bytes: stream.head)),
                \(UTCTime.now()), \(ByteBuffer(bytes: encoded.blob)))
            """, logger: logger)
        try await connection.query("DELETE FROM events WHERE run_key = \(runKey)", logger: logger)
        summary.runs += 1
        summary.events += events.count
        summary.rawBytes += encoded.rawBytes
        summary.archiveBytes += encoded.blob.count
    }

    /// The newest preset dictionary; the first compaction builds it from up to
    /// `LedgerStore.dictionarySampleRuns` of the runs it archives, spread evenly over them.
    private func presetDictionary(sampling runKeys: [Int64]) async throws -> (id: Int64, bytes: [UInt8]) {
        try await transaction("storing the archive dictionary") { connection in
            // One process builds it; another compaction waits and then finds it.
            try await connection.query("LOCK TABLE archive_dictionaries IN EXCLUSIVE MODE", logger: Self.logger)
            for try await (id, bytes) in try await connection.query(
                "SELECT id, bytes FROM archive_dictionaries ORDER BY id DESC LIMIT 1", logger: Self.logger
            ).decode((Int64, ByteBuffer).self) {
                return (id, Array(bytes.readableBytesView))
            }
            let step = max(1, runKeys.count / LedgerStore.dictionarySampleRuns)
            let sample = stride(from: 0, to: runKeys.count, by: step).prefix(LedgerStore.dictionarySampleRuns)
                .map { runKeys[$0] }
            var texts: [String] = []
            for try await data in try await connection.query(
                "SELECT data FROM events WHERE run_key = ANY(\(sample)::bigint[]) ORDER BY run_key, position",
                logger: Self.logger
            ).decode(ByteBuffer.self) {
                texts.append(String(buffer: data))
            }
            let bytes = ArchiveDictionary.build(from: texts)
            var id: Int64 = 0
            for try await stored in try await connection.query(
                """
                INSERT INTO archive_dictionaries (bytes, created_at) VALUES (\(ByteBuffer(bytes: bytes)), \(UTCTime.now()))
                RETURNING id
                """, logger: Self.logger
            ).decode(Int64.self) {
                id = stored
            }
            return (id, bytes)
        }
    }

    /// The size of the database on the server.
    private func databaseBytes() async throws -> Int64 {
        try await read("measuring the database") { connection in
            var bytes: Int64 = 0
            for try await size in try await connection.query(
                "SELECT pg_database_size(current_database())", logger: Self.logger
            ).decode(Int64.self) {
                bytes = size
            }
            return bytes
        }
    }
}
