// A Ledger event store in PostgreSQL, for many ingest workers on many hosts writing to one
// database. It keeps SQLite's guarantees with the server's tools: appends lock the stream rows
// of their runs (in run id order, so workers never deadlock) before chaining, so two workers
// racing on one run append one after the other from the head the first one left; keys stay
// unique through the (run, event id) constraint and `ON CONFLICT DO NOTHING`; triggers refuse
// every UPDATE, DELETE and TRUNCATE of events and conflicts.

import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The event store in a PostgreSQL database.
package final class PostgresStore: EventStore {
    /// The database's URL without its password, for messages.
    package let location: String
    let client: PostgresClient
    private let running: Task<Void, Never>
    /// How long an operation waits for a connection before it fails.
    private let connectionWait: Duration
    static let logger = Logger(label: "ledger.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`) and
    /// migrates it to the current schema. Every operation waits at most `connectionWait` for a
    /// connection to the server.
    ///
    /// - Throws: `LedgerError.cannotOpen` when the URL is malformed or the server cannot be reached,
    ///   `.newerSchema` when a newer Ledger set the database up.
    package init(url: String, connectionWait: Duration = .seconds(30)) async throws {
        self.connectionWait = connectionWait
        let target = try PostgresTarget(url: url)
        location = target.description
        // One connection first, so that a server that cannot be reached is reported at once.
        try await Self.withConnection(to: url, "connecting") { _ in }
        let client = PostgresClient(configuration: target.configuration, backgroundLogger: Self.logger)
        self.client = client
        running = Task { await client.run() }
        do {
            try await migrate()
        } catch {
            running.cancel()
            throw error
        }
    }

    deinit { running.cancel() }

    /// Whether `location` names a PostgreSQL store rather than a SQLite file.
    package static func isURL(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// `url` without its password, for messages (the URL itself when it cannot be read).
    package static func displayName(of url: String) -> String {
        (try? PostgresTarget(url: url).description) ?? url
    }

    /// Closes the store's connections.
    package func close() { running.cancel() }

    /// Applies the migrations this database lacks, one process at a time (an advisory lock).
    private func migrate() async throws {
        try await transaction("migrating the schema") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: Self.logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: Self.logger)
            var applied = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM schema_migrations", logger: Self.logger
            ).decode(Int.self) {
                applied = version
            }
            if applied > PostgresMigrations.latestVersion {
                throw LedgerError.newerSchema(
                    path: self.location, found: applied, supported: PostgresMigrations.latestVersion)
            }
            for migration in PostgresMigrations.all where migration.version > applied {
                for statement in PostgresMigrations.statements(of: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: Self.logger)
            }
        }
    }

    /// An arbitrary key that serializes schema migrations across processes.
    private static let migrationLock: Int64 = 0x4C_6564_6765_72

    /// Runs `body` in a transaction and maps server failures to `LedgerError`.
    func transaction<T: Sendable>(
        _ context: @autoclosure () -> String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await leased { connection in
                try await connection.withTransaction(logger: Self.logger) { try await body($0) }
            }
        } catch let error as PostgresTransactionError {
            throw storageError(error.closureError ?? error.commitError ?? error.beginError ?? error, context())
        } catch {
            throw storageError(error, context())
        }
    }

    /// Runs `body` on a connection and maps server failures to `LedgerError`.
    func read<T: Sendable>(
        _ context: @autoclosure () -> String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await leased(body)
        } catch {
            throw storageError(error, context())
        }
    }

    /// Runs `body` on a connection from the pool, failing when none is had within `connectionWait`
    /// (the pool itself would wait for the server for ever). Once `body` runs, it is not timed.
    private func leased<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T)
        async throws -> T
    {
        let lease = LeaseState()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { [client] in
                try await client.withConnection { connection in
                    lease.started.store(true, ordering: .releasing)
                    return try await body(connection)
                }
            }
            group.addTask { [connectionWait] in
                try await Task.sleep(for: connectionWait)
                return nil
            }
            while let result = try await group.next() {
                if let value = result {
                    group.cancelAll()
                    return value
                }
                if !lease.started.load(ordering: .acquiring) {
                    group.cancelAll()
                    throw LedgerError.cannotOpen(
                        path: location, reason: "no connection to the server within \(connectionWait)")
                }
            }
            throw CancellationError()
        }
    }

    /// The server's message for `error`, else what failed underneath (a refused connection, say).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        return error.serverInfo?[.message] ?? error.underlying.map { "\($0)" } ?? "\(error.code)"
    }

    private func storageError(_ error: any Error, _ context: String) -> any Error {
        if error is LedgerError { return error }
        guard let error = error as? PSQLError else {
            return LedgerError.storage(context: "\(location): \(context)", reason: "\(error)")
        }
        if error.serverInfo != nil {
            return LedgerError.storage(context: "\(location): \(context)", reason: Self.describe(error))
        }
        return LedgerError.cannotOpen(path: location, reason: Self.describe(error))
    }
}

/// Whether a leased operation got its connection.
private final class LeaseState: Sendable {
    let started = Atomic<Bool>(false)
}
