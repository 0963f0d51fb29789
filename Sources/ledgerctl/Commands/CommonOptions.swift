// Options shared by every subcommand: where the store is and how reports are printed.

import ArgumentParser
import Foundation
import Ledger
import LedgerPostgres

struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("store"),
        help: """
            The store: a SQLite file, or postgres://user@host:port/database for a PostgreSQL store \
            (default: $LEDGER_STORE, else --db).
            """)
    var storeLocation: String?

    @Option(name: .long, help: "The Ledger database file (default: $LEDGER_DB, else ./ledger.sqlite).")
    var db: String?

    /// The store named by the flags or the environment: a file path or a PostgreSQL URL.
    var location: String {
        let environment = ProcessInfo.processInfo.environment
        func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return storeLocation ?? db ?? nonEmpty("LEDGER_STORE") ?? nonEmpty("LEDGER_DB") ?? "ledger.sqlite"
    }

    /// The SQLite file path of `location`, or nil when it names a PostgreSQL store.
    var path: String? { PostgresStore.isURL(location) ? nil : location }

    /// The store for messages: the file, or the database URL without its password.
    var name: String { PostgresStore.isURL(location) ? PostgresStore.displayName(of: location) : location }

    /// Opens the store `location` names, SQLite or PostgreSQL; reading commands pass `create: false`.
    func openStore(create: Bool = false) async throws -> any ReportingStore {
        try await ledgerctl.openStore(at: location, create: create)
    }
}

/// Opens the store at `location`: a PostgreSQL URL, else a SQLite file (made when `create`).
func openStore(at location: String, create: Bool) async throws -> any ReportingStore {
    if PostgresStore.isURL(location) { return try await PostgresStore(url: location) }
    return try LedgerStore(path: location, create: create)
}

extension OutputFormat: ExpressibleByArgument {}

struct FormatOptions: ParsableArguments {
    @Option(help: "Output format: table, json, csv or ndjson.")
    var format: OutputFormat = .table

    /// Writes `report` to stdout in the chosen format.
    func print(_ report: Report) {
        FileHandle.standardOutput.write(Data(ReportWriter.render(report, as: format).utf8))
    }

    /// A report with `columns` written to stdout row by row in the chosen format.
    func stream(columns: [String]) -> ReportStream {
        ReportStream(columns: columns, format: format)
    }
}

/// Where the Coasty API is and the key to call it with.
struct APIOptions: ParsableArguments {
    @Option(help: "The Coasty API base URL (default: $COASTY_BASE_URL).")
    var baseURL: String?

    @Option(help: "The API key, sent as X-API-Key (default: $COASTY_API_KEY). Never printed or stored.")
    var apiKey: String?

    /// The base URL from the flag or the environment.
    func resolvedBaseURL() throws -> String {
        guard let url = baseURL ?? ProcessInfo.processInfo.environment["COASTY_BASE_URL"].flatMap({ $0.isEmpty ? nil : $0 })
        else { throw ValidationError("give --base-url or set COASTY_BASE_URL") }
        return url
    }

    var resolvedAPIKey: String? {
        apiKey ?? ProcessInfo.processInfo.environment["COASTY_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
