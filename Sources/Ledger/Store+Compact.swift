// Compaction: the raw events of old terminal runs move into archives, one transaction per run
// (archive row, then the event rows deleted), so a kill at any moment leaves each run
// wholly live or wholly archived and `compact` can simply run again. A run's stored chain is
// checked, and its archive decoded back, before anything is deleted; a run too large to archive
// in bounded memory is left live and named.

import Foundation
import GRDB

/// What a compaction did, so far or in all.
package struct CompactionSummary: Sendable, Equatable {
    /// Runs archived.
    package var runs = 0
    package var events = 0
    /// The size of the archived runs' canonical streams (see `ArchiveCodec.canonicalStream`).
    package var rawBytes = 0
    /// The size of their compressed archives.
    package var archiveBytes = 0
    /// Runs left live because their stored events do not verify.
    package var refused: [RefusedRun] = []
    /// Runs left live because their events hold more than `RefusedRun.largestArchivedStream`
    /// bytes: archiving holds a run whole in memory, so such a run stays live (and readable).
    package var tooLarge: [RefusedRun] = []
    /// The database file with its WAL, before and after (including any vacuum).
    package var fileBytesBefore: Int64 = 0
    package var fileBytesAfter: Int64 = 0
    /// Free pages left in the file afterwards, which later writes reuse.
    package var freeBytesAfter: Int64 = 0

    package init() {}
}

/// A run compaction left live, and why.
package struct RefusedRun: Sendable, Equatable {
    package var runID: String
    package var reason: String

    package init(runID: String, reason: String) {
        self.runID = runID
        self.reason = reason
    }

    /// The most bytes of event data and types a run may hold to be archived. Archiving a run
    /// holds it whole in memory several times over (stored rows, canonical stream, archive, its
    /// decoded check), so this bounds compaction's memory at a few hundred MiB.
    package static let largestArchivedStream: Int64 = 32 << 20

    /// `runID`, left live because its events hold `bytes`, more than `largestArchivedStream`.
    package static func tooLarge(runID: String, bytes: Int64) -> RefusedRun {
        RefusedRun(
            runID: runID,
            reason: "its events hold \(bytes >> 20) MiB, more than the \(largestArchivedStream >> 20) MiB a run may "
                + "have to be archived in bounded memory; it stays live and readable")
    }
}

/// How much space compaction gives back to the file system.
package enum SpaceReclaim: Sendable {
    /// Free pages are released when the file allows it (incremental auto-vacuum), else reused.
    case incremental
    /// The whole file is rewritten (VACUUM), which also enables incremental vacuum from then on.
    case vacuum
}

extension LedgerStore {
    /// Archives every terminal run whose last event arrived before `cutoff` (UTC microseconds)
    /// and that has no archive yet (only those of `runIDs` when given). `progress` gets the summary
    /// so far and the number of runs to archive.
    @discardableResult
    package func compact(
        before cutoff: Int64, only runIDs: Set<String>? = nil, reclaim: SpaceReclaim = .incremental,
        progress: (_ sofar: CompactionSummary, _ candidates: Int) -> Void = { _, _ in }
    ) throws -> CompactionSummary {
        var summary = CompactionSummary()
        summary.fileBytesBefore = fileBytes()
        try catchUpProjections()
        let found = try read("finding runs to compact") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.run_key, s.run_id,
                        (SELECT coalesce(sum(length(CAST(e.type AS BLOB)) + length(CAST(e.data AS BLOB))), 0)
                         FROM events e WHERE e.run_key = s.run_key)
                    FROM streams s JOIN runs r ON r.run_key = s.run_key
                    WHERE s.last_received_at < ? AND r.state IN \(terminalStates)
                        AND NOT EXISTS (SELECT 1 FROM archives a WHERE a.run_key = s.run_key)
                    ORDER BY s.run_key
                    """,
                arguments: [cutoff]
            ).map { (runKey: $0[0] as Int64, runID: $0[1] as String, bytes: $0[2] as Int64) }
                .filter { runIDs?.contains($0.runID) ?? true }
        }
        summary.tooLarge = found.filter { $0.bytes > RefusedRun.largestArchivedStream }.map {
            RefusedRun.tooLarge(runID: $0.runID, bytes: $0.bytes)
        }
        let candidates = found.filter { $0.bytes <= RefusedRun.largestArchivedStream }
        if !candidates.isEmpty {
            let dictionary = try presetDictionary(sampling: candidates.map(\.runKey))
            for candidate in candidates {
                try streamCache.withLock { cache in
                    // The cached stream state of an archived run would miss that its keys moved.
                    defer { cache.streams[candidate.runID] = nil }
                    try write("archiving run \(candidate.runID)") { db in
                        try archive(candidate.runKey, runID: candidate.runID, before: cutoff, dictionary, db, &summary)
                    }
                }
                progress(summary, candidates.count)
            }
        }
        summary.freeBytesAfter = try reclaimSpace(reclaim)
        summary.fileBytesAfter = fileBytes()
        return summary
    }

    /// Archives one run if it is still eligible, in the caller's transaction.
    private func archive(
        _ runKey: Int64, runID: String, before cutoff: Int64, _ dictionary: (id: Int64, bytes: [UInt8]),
        _ db: Database, _ summary: inout CompactionSummary
    ) throws {
        guard
            let stream = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT s.event_count, s.head_hash, (SELECT min(last_seq) FROM projection_checkpoints)
                        FROM streams s JOIN runs r ON r.run_key = s.run_key
                        WHERE s.run_key = ? AND s.last_received_at < ? AND r.state IN \(terminalStates)
                            AND NOT EXISTS (SELECT 1 FROM archives a WHERE a.run_key = s.run_key)
                        """),
                arguments: [runKey, cutoff])
        else { return }
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT seq, event_id, CAST(type AS BLOB), CAST(data AS BLOB), received_at, hash
                    FROM events WHERE run_key = ? ORDER BY seq
                    """),
            arguments: [runKey])
        guard let lastSeq = rows.last?[0] as Int64?, lastSeq <= stream[2] as Int64 else { return }
        let events = rows.map {
            RawEvent(eventID: $0[1], type: $0.exactText(2), data: $0.exactText(3), receivedAt: $0[4])
        }
        let head = [UInt8](stream[1] as Data)
        let encoded: EncodedArchive
        do throws(CodecFailure) {
            encoded = try ArchiveCodec.archive(
                runID: runID, events, seqs: rows.map { $0[0] as Int64 }, hashes: rows.map { [UInt8]($0[5] as Data) },
                recordedCount: stream[0], recordedHead: head, dictionary: dictionary.bytes)
        } catch {
            summary.refused.append(RefusedRun(runID: runID, reason: error.reason))
            return
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO archives (run_key, format, dictionary_id, event_count, last_seq, raw_bytes, stream_sha256,
                    chain_head, archived_at, blob)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                runKey, ArchiveCodec.format, dictionary.id, events.count, lastSeq, encoded.rawBytes,
                Data(encoded.streamSHA256), Data(head), UTCTime.now(), Data(encoded.blob),
            ])
        try db.cachedStatement(sql: "DELETE FROM events WHERE run_key = ?").execute(arguments: [runKey])
        summary.runs += 1
        summary.events += events.count
        summary.rawBytes += encoded.rawBytes
        summary.archiveBytes += encoded.blob.count
    }

    /// The runs that have an archive.
    package func archivedRunIDs() throws -> Set<String> {
        try read("listing archived runs") { db in
            Set(try String.fetchAll(db, sql: "SELECT s.run_id FROM archives a JOIN streams s ON s.run_key = a.run_key"))
        }
    }

    /// The newest preset dictionary; the first compaction builds it from up to
    /// `dictionarySampleRuns` of the runs it archives, spread evenly over them.
    private func presetDictionary(sampling runKeys: [Int64]) throws -> (id: Int64, bytes: [UInt8]) {
        let newest = "SELECT id, bytes FROM archive_dictionaries ORDER BY id DESC LIMIT 1"
        if let row = try read("reading the archive dictionary", { try Row.fetchOne($0, sql: newest) }) {
            return (row[0], [UInt8](row[1] as Data))
        }
        let step = max(1, runKeys.count / Self.dictionarySampleRuns)
        let sample = stride(from: 0, to: runKeys.count, by: step).prefix(Self.dictionarySampleRuns).map { runKeys[$0] }
        let texts = try read("sampling events for the archive dictionary") { db in
            try sample.flatMap { runKey in
                try String.fetchAll(
                    db, sql: "SELECT data FROM events WHERE run_key = ? ORDER BY seq", arguments: [runKey])
            }
        }
        let bytes = ArchiveDictionary.build(from: texts)
        return try write("storing the archive dictionary") { db in
            try db.execute(
                sql: "INSERT INTO archive_dictionaries (bytes, created_at) VALUES (?, ?)",
                arguments: [Data(bytes), UTCTime.now()])
            return (db.lastInsertedRowID, bytes)
        }
    }

    /// Runs sampled for the preset dictionary.
    package static let dictionarySampleRuns = 200

    /// Gives free pages back as `reclaim` says and empties the WAL; returns the bytes left free.
    private func reclaimSpace(_ reclaim: SpaceReclaim) throws -> Int64 {
        do {
            return try queue.writeWithoutTransaction { db in
                switch reclaim {
                case .vacuum:
                    try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL; VACUUM")
                case .incremental:
                    if try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 {
                        try db.execute(sql: "PRAGMA incremental_vacuum")
                    }
                }
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                return try (Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
                    * (Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
            }
        } catch let error as DatabaseError {
            throw LedgerError.storage(context: "\(path): giving space back", reason: error.message ?? "\(error)")
        }
    }

    /// The size of the database file and its WAL.
    func fileBytes() -> Int64 {
        [path, path + "-wal"].reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? 0)
        }
    }
}

extension ArchiveCodec {
    /// Packs a run's stored events for archiving, once they prove intact: they chain from the
    /// run's genesis through their stored `hashes` to the stream's recorded count and head, and
    /// the archive decodes back to them. The failure's reason says why the run stays live.
    package static func archive(
        runID: String, _ events: [RawEvent], seqs: [Int64], hashes: [[UInt8]], recordedCount: Int,
        recordedHead: [UInt8], dictionary: [UInt8]
    ) throws(CodecFailure) -> EncodedArchive {
        var head = HashChain.genesis(runID: runID)
        for (index, (event, hash)) in zip(events, hashes).enumerated() {
            head = HashChain.next(
                after: head, eventID: event.eventID, type: event.type, data: event.data, receivedAt: event.receivedAt)
            guard head == hash else { throw CodecFailure("its hash chain breaks at event \(index + 1)") }
        }
        guard events.count == recordedCount, head == recordedHead else {
            throw CodecFailure("its stored events do not end at the stream's recorded head")
        }
        do throws(CodecFailure) {
            let encoded = try encode(events, seqs: seqs, dictionary: dictionary)
            let decoded = try decode(
                encoded.blob, format: format, dictionary: dictionary, eventCount: events.count,
                rawBytes: encoded.rawBytes)
            guard decoded == ArchiveContents(events: events, seqs: seqs) else {
                throw CodecFailure("the archive does not decode to the stored events")
            }
            return encoded
        } catch {
            throw CodecFailure("its archive could not be written: \(error.reason)")
        }
    }
}

/// The terminal states, as a SQL list.
private let terminalStates = "(" + EventFacts.terminalStates.map { "'\($0)'" }.joined(separator: ", ") + ")"
