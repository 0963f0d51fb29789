// Making a new database on a PostgreSQL server, for the benchmark and the tests, which each want
// a store of their own on one throwaway server.

import Foundation
import Ledger
import Logging
import PostgresNIO

extension PostgresStore {
    /// Creates a new, empty database named `prefix` and a random suffix on the server that
    /// `serverURL` connects to (through the database it names) and returns the new database's URL.
    package static func createDatabase(on serverURL: String, prefix: String = "ledger") async throws -> String {
        let target = try PostgresTarget(url: serverURL)
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let client = PostgresClient(configuration: target.configuration, backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        do {
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        } catch {
            throw LedgerError.storage(context: "\(target): creating database \(name)", reason: Self.describe(error))
        }
        guard var components = URLComponents(string: serverURL) else { return serverURL }
        components.path = "/\(name)"
        return components.string ?? serverURL
    }
}
