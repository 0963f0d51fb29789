// Options shared by every subcommand: where the store is and how reports are printed.

import ArgumentParser
import Foundation
import Ledger

struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The Ledger database file (default: $LEDGER_DB, else ./ledger.sqlite).")
    var db: String?

    var path: String {
        db ?? ProcessInfo.processInfo.environment["LEDGER_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "ledger.sqlite"
    }

    /// Opens the store; reading commands pass `create: false` so a mistyped path is an error, not a new file.
    func open(create: Bool = false) throws -> LedgerStore {
        try LedgerStore(path: path, create: create)
    }
}

extension OutputFormat: ExpressibleByArgument {}

struct FormatOptions: ParsableArguments {
    @Option(help: "Output format: table, json, csv or ndjson.")
    var format: OutputFormat = .table

    /// Writes `report` to stdout in the chosen format.
    func print(_ report: Report) {
        FileHandle.standardOutput.write(Data(ReportWriter.render(report, as: format).utf8))
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
