// What opening a file may do to it. A reading open never creates, migrates or changes a file (not
// even its journal mode); a file that is not a Ledger store (empty, another application's
// database, an older or newer schema) is refused before anything is written, and a file this
// process cannot write, or whose directory it cannot write, is read as an immutable file.

import Foundation
import GRDB

/// What the command opening a store may do to its file.
package enum StoreAccess: Sendable, Equatable {
    /// Only reads: the file must be a Ledger store at this build's schema. Nothing is created or
    /// migrated; a file this process cannot write (or whose directory it cannot write) is opened
    /// immutable, so that no `-shm` or `-wal` file is needed next to it.
    case read
    /// Reads as `read` does, and opens the file immutable even when it is writable: no lock, no
    /// `-shm` file. For a copy nothing else writes, such as an auditor's.
    case readOnly
    /// Writes: migrates a Ledger store to this build's schema; the file must exist.
    case write
    /// Writes, creating the store when the file is missing, empty or a database without tables.
    case create

    /// Whether the store is opened without writing to it.
    package var isReading: Bool { self == .read || self == .readOnly }
}

/// What an existing file holds, found through a read-only connection before anything is written.
enum StoreFile: Equatable {
    /// Zero bytes: SQLite would make a new database of it.
    case empty
    /// A SQLite database without a single table.
    case blank
    /// A Ledger store at `version` (of schema_migrations).
    case ledger(version: Int)

    /// Inspects the file at `path`, refusing another application's database and a newer schema.
    static func inspect(path: String, immutable: Bool) throws -> StoreFile {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if (attributes?[.size] as? Int) == 0 { return .empty }
        do {
            return try readOnlyQueue(path: path, immutable: immutable).read { db in
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                if tables.isEmpty { return .blank }
                let columns = tables.contains("schema_migrations")
                    ? Set(try db.columns(in: "schema_migrations").map(\.name)) : []
                guard columns.isSuperset(of: ["version", "name", "applied_at"]),
                    try String.fetchOne(db, sql: "SELECT name FROM schema_migrations WHERE version = 1")
                        == Migrations.all.first?.name,
                    let version = try Int.fetchOne(db, sql: "SELECT max(version) FROM schema_migrations")
                else {
                    let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
                    throw LedgerError.notALedgerStore(
                        path: path, reason: "it is another application's SQLite database (tables: \(shown))")
                }
                if version > Migrations.latestVersion {
                    throw LedgerError.newerSchema(path: path, found: version, supported: Migrations.latestVersion)
                }
                return .ledger(version: version)
            }
        } catch let error as DatabaseError {
            throw LedgerStore.openError(error, path: path)
        }
    }

    /// A read-only connection to `path`; `immutable` tells SQLite that nothing changes the file,
    /// so that it takes no lock and needs no `-shm` file (a read-only directory has none).
    static func readOnlyQueue(path: String, immutable: Bool, prepare: Bool = false) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        if prepare { configuration.prepareDatabase { db in try LedgerStore.prepare(db) } }
        return try DatabaseQueue(path: immutable ? immutableURI(path) : path, configuration: configuration)
    }

    /// Whether a reading open of `path` must be immutable: the file or its directory cannot be
    /// written (or `readOnly` asks for it), and no write-ahead log holds changes the file lacks
    /// (an immutable open would not see them; a plain read-only one does, given a `-shm` file).
    static func opensImmutable(path: String, access: StoreAccess) -> Bool {
        let manager = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        let writable =
            manager.isWritableFile(atPath: path) && manager.isWritableFile(atPath: directory.isEmpty ? "." : directory)
        let log = try? manager.attributesOfItem(atPath: path + "-wal")
        let logHoldsChanges = ((log?[.size] as? Int) ?? 0) > 0
        return (access == .readOnly || !writable) && !logHoldsChanges
    }

    /// The `file:` URI of `path` with `immutable=1`, every byte outside the unreserved set and `/`
    /// percent-encoded.
    private static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var uri = "file:"
        for byte in absolute.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "/"):
                uri.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                uri += String(format: "%%%02X", byte)
            }
        }
        return uri + "?immutable=1"
    }
}
