// Single connections outside the pool: the check a store makes before it opens, and making a
// new database on a server, for the benchmark and the tests, which each want a store of their
// own on one throwaway server.

import Foundation
import Ledger
import Logging
import PostgresNIO

extension PostgresStore {
    /// Creates a new, empty database named `prefix` and a random suffix on the server that
    /// `serverURL` connects to (through the database it names) and returns the new database's URL.
    package static func createDatabase(on serverURL: String, prefix: String = "ledger") async throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try await withConnection(to: serverURL, "creating database \(name)") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        guard var components = URLComponents(string: serverURL) else { return serverURL }
        components.path = "/\(name)"
        return components.string ?? serverURL
    }

    /// Runs `body` (what `context` names) on one connection to the database at `url`, outside any
    /// pool (which would retry a refused connection, a wrong password or a missing database for
    /// ever), then closes it.
    ///
    /// - Throws: `LedgerError.cannotOpen` when no connection is had, `.storage` when `body` fails.
    package static func withConnection<T: Sendable>(
        to url: String, _ context: String, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let target = try PostgresTarget(url: url)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: target.connectionConfiguration, id: 0, logger: logger)
        } catch {
            throw LedgerError.cannotOpen(path: target.description, reason: describe(error))
        }
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw LedgerError.storage(context: "\(target): \(context)", reason: describe(error))
        }
    }
}
