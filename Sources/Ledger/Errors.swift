// Errors the store reports. Each names the input (database path, run id, event id) and says
// what a person can do about it; ledgerctl prints `description` as is.

import Foundation

/// Everything that can go wrong opening, writing or reading a Ledger store.
package enum LedgerError: Error, Sendable, Equatable, LocalizedError, CustomStringConvertible {
    /// The file was written by a newer Ledger whose schema this build does not know.
    case newerSchema(path: String, found: Int, supported: Int)
    /// A reading command met a store at an older schema, which only a writing command migrates.
    case olderSchema(path: String, found: Int, supported: Int)
    /// The file is not a Ledger store: empty, or another application's SQLite database.
    case notALedgerStore(path: String, reason: String)
    /// The file exists but is not a SQLite database, or is damaged.
    case corruptDatabase(path: String, reason: String)
    /// The file could not be opened or created.
    case cannotOpen(path: String, reason: String)
    /// A SQLite operation failed; `context` says what Ledger was doing.
    case storage(context: String, reason: String)
    /// A query of the query language could not run; `reason` says why in Ledger's words.
    case query(reason: String)
    /// A run's archive does not decompress or decode.
    case corruptArchive(runID: String, reason: String)

    package var description: String {
        switch self {
        case let .newerSchema(path, found, supported):
            "\(path): written by a newer Ledger (schema version \(found), this build knows up to \(supported)); "
                + "upgrade ledgerctl to read it. The file was left untouched."
        case let .olderSchema(path, found, supported):
            "\(path): written by an older Ledger (schema version \(found), this build uses \(supported)); reading "
                + "commands do not migrate: run a writing command such as `ledgerctl rebuild --db \(path)` "
                + "on it (or on a writable copy) first. The file was left untouched."
        case let .notALedgerStore(path, reason):
            "\(path): not a Ledger store (\(reason)); check --db or --store. The file was left untouched."
        case let .corruptDatabase(path, reason):
            "\(path): not a readable Ledger database (\(reason)); restore it from a backup or point --db elsewhere."
        case let .cannotOpen(path, reason):
            "\(path): cannot open the database (\(reason))."
        case let .storage(context, reason):
            "\(context): \(reason)"
        case let .query(reason):
            "the query could not run: \(reason)"
        case let .corruptArchive(runID, reason):
            "run \(runID): its archive cannot be read (\(reason)); `ledgerctl verify` checks every archive, "
                + "and other runs are unaffected."
        }
    }

    package var errorDescription: String? { description }
}
