// Options shared by every subcommand: where the store is and how reports are printed.

import ArgumentParser
import Foundation
import Ingest
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

    @Flag(
        name: .customLong("read-only"),
        help: """
            Open the SQLite file as immutable: no lock and no -shm file next to it, for a copy nothing \
            else writes. Reading commands always open read-only, and immutable by themselves when the \
            file or its directory is not writable.
            """)
    var readOnly = false

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

    /// Opens the store `location` names, SQLite or PostgreSQL, as `access` allows: reading
    /// commands take the default, which never creates, migrates or changes the file.
    func openStore(_ access: StoreAccess = .read) async throws -> any ReportingStore {
        guard !readOnly || access.isReading else {
            throw ValidationError("--read-only: this command writes to the store; leave the flag out")
        }
        return try await ledgerctl.openStore(at: location, access: readOnly ? .readOnly : access)
    }
}

/// Opens the store at `location`: a PostgreSQL URL, else a SQLite file opened as `access` allows.
func openStore(at location: String, access: StoreAccess) async throws -> any ReportingStore {
    if PostgresStore.isURL(location) { return try await PostgresStore(url: location) }
    return try LedgerStore(path: location, access: access)
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

    @Flag(
        help: """
            Follow redirects, only within the origin of --base-url (same scheme, host and port); \
            by default a redirect is an error. The API key is never sent to another origin.
            """)
    var followRedirects = false

    /// How API requests treat redirects.
    var redirects: RedirectPolicy { followRedirects ? .sameOrigin : .refuse }

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
