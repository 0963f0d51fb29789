// `ledgerctl stats` on PostgreSQL: the same rows as on SQLite, from the server's catalog. The
// server manages its own free space.

import Ledger
import PostgresNIO

extension PostgresStore {
    package func statistics() async throws -> StoreStatistics {
        try await read("reading store statistics") { connection in
            var statistics = StoreStatistics()
            for try await row in try await connection.query(
                """
                SELECT (SELECT count(*) FROM streams), (SELECT coalesce(sum(event_count), 0)::bigint FROM streams),
                    pg_database_size(current_database()), count(*), coalesce(sum(event_count), 0)::bigint,
                    coalesce(sum(raw_bytes), 0)::bigint, coalesce(sum(octet_length(blob)), 0)::bigint
                FROM archives
                """, logger: Self.logger
            ).decode((Int, Int, Int64, Int, Int, Int64, Int64).self) {
                statistics.runs = row.0
                statistics.archivedRuns = row.3
                statistics.archivedEvents = row.4
                statistics.liveEvents = row.1 - row.4
                statistics.fileBytes = row.2
                statistics.archivedStreamBytes = row.5
                statistics.archiveBytes = row.6
            }
            var tables: [TableBytes] = []
            for try await (name, bytes) in try await connection.query(
                """
                SELECT c.relname::text, pg_relation_size(c.oid) FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')
                ORDER BY 2 DESC, 1
                """, logger: Self.logger
            ).decode((String, Int64).self) {
                tables.append(TableBytes(name: name, bytes: bytes))
            }
            statistics.tableBytes = tables
            let dated = "SELECT run_id, first_received_at FROM streams WHERE first_received_at IS NOT NULL ORDER BY 2"
            for (order, keyPath) in [(", run_key LIMIT 1", \StoreStatistics.oldestRun), (" DESC, run_key DESC LIMIT 1", \.newestRun)] {
                for try await (runID, at) in try await connection.query(
                    PostgresQuery(unsafeSQL: dated + order), logger: Self.logger
                ).decode((String, Int64).self) {
                    statistics[keyPath: keyPath] = DatedRun(runID: runID, firstReceivedAt: at)
                }
            }
            return statistics
        }
    }
}
