// The PostgreSQL server the tests may use: LEDGER_TEST_POSTGRES names a database on it
// (`.ci/run` starts a throwaway cluster and sets it). Tests that need it are skipped without it.

import Foundation
import LedgerPostgres
import Logging
import PostgresNIO

package enum TestPostgres {
    /// The server's URL, or nil when no server is given.
    package static let serverURL = ProcessInfo.processInfo.environment["LEDGER_TEST_POSTGRES"].flatMap {
        $0.isEmpty ? nil : $0
    }

    private static let logger = Logger(label: "ledger.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Creates a new, empty database on the server and returns its URL.
    package static func makeDatabase() async throws -> String {
        guard let serverURL else { throw TestPostgresError.noServer }
        return try await PostgresStore.createDatabase(on: serverURL)
    }

    /// Runs `statements` on the database at `url`, in one session, in order.
    package static func execute(_ statements: String..., on url: String) async throws {
        try await PostgresStore.withConnection(to: url, "running test SQL") { connection in
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }
}

package enum TestPostgresError: Error, CustomStringConvertible {
    case noServer

    package var description: String { "LEDGER_TEST_POSTGRES does not name a PostgreSQL server" }
}
