// The backends the store tests run against: a SQLite file always, and PostgreSQL when
// LEDGER_TEST_POSTGRES names a server (`.ci/run` starts a throwaway cluster and sets it). Each
// test gets a store of its own: a file in a scratch directory, or a new database.

import Foundation
import GRDB
import Ledger
import LedgerPostgres
import LedgerTestSupport
import Testing

enum StoreBackend: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static let available: [StoreBackend] = TestPostgres.serverURL == nil ? [.sqlite] : [.sqlite, .postgres]

    var testDescription: String { rawValue }

    /// A new, empty store of this backend.
    func makeLocation() async throws -> StoreLocation {
        switch self {
        case .sqlite:
            let scratch = try ScratchDirectory()
            return StoreLocation(backend: self, address: scratch.path("ledger.sqlite"), scratch: scratch)
        case .postgres:
            return StoreLocation(backend: self, address: try await TestPostgres.makeDatabase(), scratch: nil)
        }
    }
}

/// One test's store: where it is, opened as many times as a test needs (each a separate
/// connection, as separate processes would have).
struct StoreLocation: Sendable {
    let backend: StoreBackend
    /// The file path or the database URL.
    let address: String
    let scratch: ScratchDirectory?

    func open() async throws -> any ReportingStore {
        switch backend {
        case .sqlite: try LedgerStore(path: address)
        case .postgres: try await PostgresStore(url: address)
        }
    }

    /// Runs raw SQL on the store behind Ledger's back, with the append-only triggers still on.
    func execute(_ sql: String) async throws {
        switch backend {
        case .sqlite: try await DatabaseQueue(path: address).write { try $0.execute(sql: sql) }
        case .postgres: try await TestPostgres.execute(sql, on: address)
        }
    }

    /// Changes a stored event's data the way someone with the database owner's rights could:
    /// with the append-only triggers out of the way.
    func tamper(runID: String, eventID: String, data: String) async throws {
        let change = """
            UPDATE events SET data = '\(data)'
            WHERE event_id = '\(eventID)' AND run_key = (SELECT run_key FROM streams WHERE run_id = '\(runID)')
            """
        switch backend {
        case .sqlite:
            try await DatabaseQueue(path: address).write { db in
                try db.execute(sql: "DROP TRIGGER events_reject_update")
                try db.execute(sql: change)
            }
        case .postgres:
            try await TestPostgres.execute("SET session_replication_role = replica", change, on: address)
        }
    }
}

extension Sequence {
    /// `map` with an async transform, one element after the other.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
