// `ledgerctl stats` on PostgreSQL: the same rows as on SQLite, from the server's catalog. The
// PostgreSQL store keeps no archives, and the server manages its own free space.

import Ledger
import PostgresNIO

extension PostgresStore {
    package func statistics() async throws -> StoreStatistics {
        try await read("reading store statistics") { connection in
            var statistics = StoreStatistics()
            for try await (runs, events, databaseBytes) in try await connection.query(
                """
                SELECT count(*), coalesce(sum(event_count), 0)::bigint, pg_database_size(current_database())
                FROM streams
                """, logger: Self.logger
            ).decode((Int, Int, Int64).self) {
                statistics.runs = runs
                statistics.liveEvents = events
                statistics.fileBytes = databaseBytes
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
