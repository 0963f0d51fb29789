// What the store holds and what it costs on disk: runs and events live and archived, how well
// archives compress, the bytes of every table and index (from SQLite's dbstat, where this SQLite
// has it) and the oldest and newest run.

import GRDB

/// A run named by when its first event arrived.
package struct DatedRun: Sendable, Equatable {
    package var runID: String
    package var firstReceivedAt: Int64

    package init(runID: String, firstReceivedAt: Int64) {
        self.runID = runID
        self.firstReceivedAt = firstReceivedAt
    }
}

/// The store at a glance.
package struct StoreStatistics: Sendable, Equatable {
    package var runs = 0
    package var archivedRuns = 0
    package var liveEvents = 0
    package var archivedEvents = 0
    /// The size of the archived runs' canonical streams, and of their compressed archives.
    package var archivedStreamBytes: Int64 = 0
    package var archiveBytes: Int64 = 0
    /// The database file and its WAL (for PostgreSQL, the database's size on the server).
    package var fileBytes: Int64 = 0
    /// Pages on the free list, which the next writes reuse (or a vacuum gives back); nil where
    /// the store does not track it (PostgreSQL).
    package var freeBytes: Int64?
    /// The bytes of each table and index, largest first; nil when this SQLite lacks dbstat.
    package var tableBytes: [TableBytes]?
    package var oldestRun: DatedRun?
    package var newestRun: DatedRun?

    package init() {}
}

/// The pages one table or index takes.
package struct TableBytes: Sendable, Equatable {
    package var name: String
    package var bytes: Int64

    package init(name: String, bytes: Int64) {
        self.name = name
        self.bytes = bytes
    }
}

extension LedgerStore {
    /// Counts, sizes and dates of what the store holds. Reads every page when dbstat is available.
    package func statistics() throws -> StoreStatistics {
        var statistics = try read("reading store statistics") { db in
            var statistics = StoreStatistics()
            if let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) FROM streams), (SELECT count(*) FROM archives), (SELECT count(*) FROM events),
                        (SELECT coalesce(sum(event_count), 0) FROM archives),
                        (SELECT coalesce(sum(raw_bytes), 0) FROM archives),
                        (SELECT coalesce(sum(length(blob)), 0) FROM archives)
                    """)
            {
                statistics.runs = row[0]
                statistics.archivedRuns = row[1]
                statistics.liveEvents = row[2]
                statistics.archivedEvents = row[3]
                statistics.archivedStreamBytes = row[4]
                statistics.archiveBytes = row[5]
            }
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            statistics.freeBytes = pageSize * (try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
            do {
                statistics.tableBytes = try Row.fetchAll(
                    db, sql: "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC, 1"
                ).map { TableBytes(name: $0[0], bytes: $0[1]) }
            } catch let error as DatabaseError where error.message?.contains("no such table: dbstat") == true {
                statistics.tableBytes = nil
            }
            let dated = "SELECT run_id, first_received_at FROM streams WHERE first_received_at IS NOT NULL ORDER BY 2"
            statistics.oldestRun = try Row.fetchOne(db, sql: dated + ", run_key LIMIT 1").map {
                DatedRun(runID: $0[0], firstReceivedAt: $0[1])
            }
            statistics.newestRun = try Row.fetchOne(db, sql: dated + " DESC, run_key DESC LIMIT 1").map {
                DatedRun(runID: $0[0], firstReceivedAt: $0[1])
            }
            return statistics
        }
        statistics.fileBytes = fileBytes()
        return statistics
    }
}
