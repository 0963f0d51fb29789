// LedgerStore owns the one SQLite connection of a Ledger file: it opens (WAL, busy timeout, so
// several processes can share the file; read-only for reading commands, see Store+Open.swift),
// refuses files that are not Ledger stores, applies the embedded migrations, and runs every read
// and write on that connection.

import CSQLiteSettings
import Foundation
import GRDB
import Synchronization

/// A Ledger database file: raw events, their hash chains, and what is derived from them.
package final class LedgerStore: Sendable {
    /// The database file's path.
    package let path: String
    let queue: DatabaseQueue
    let streamCache = Mutex(StreamCache())

    /// Process-wide SQLite settings, made once before the first store opens: no memory
    /// statistics, which would take a global mutex on every allocation SQLite makes. (If SQLite
    /// was already used in this process the setting is refused and nothing else changes.)
    private static let processSettings: Void = { _ = ledger_sqlite_disable_memory_statistics() }()

    /// Settings of every connection: 8 KiB pages for a new file (appends measured fastest with
    /// them, projections live or not), WAL with NORMAL sync (durable at checkpoints, never corrupt),
    /// a 64 MiB page cache so the key index of many interleaved runs stays in memory, and a larger
    /// WAL between checkpoints so pages written by consecutive batches are copied back once.
    package static let connectionPragmas = """
        PRAGMA page_size = 8192; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
        PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8192
        """

    /// Sets up a connection to a Ledger file: `connectionPragmas`, the table-valued function the
    /// `event_log` view reads archived events with (other connections that read the view need it
    /// too), and the percentile aggregate of the query language.
    package static func prepare(_ db: Database) throws {
        try db.execute(sql: connectionPragmas)
        try ArchiveTable.register(on: db)
        db.add(function: PercentileAggregate.function)
    }

    /// Opens the store at `path` for writing, creating it when `create` is true, and migrates it
    /// to the current schema.
    package convenience init(path: String, create: Bool = true) throws {
        try self.init(path: path, access: create ? .create : .write)
    }

    /// Opens the store at `path` as `access` allows: a reading open changes nothing in the file
    /// and refuses one that is not at this build's schema; a writing open migrates it.
    ///
    /// - Throws: `LedgerError.cannotOpen` when the file is missing (and `access` does not create) or
    ///   unreadable, `.corruptDatabase` when it is not a SQLite database, `.notALedgerStore` for
    ///   another application's database (or, unless creating, an empty file), `.olderSchema` when a
    ///   reading open meets a store that needs migrating, `.newerSchema` when a newer Ledger wrote it.
    package init(path: String, access: StoreAccess) throws {
        _ = Self.processSettings
        self.path = path
        let content: StoreFile?
        if FileManager.default.fileExists(atPath: path) {
            // Immutable too when no write-ahead log exists: no connection has the file open, and
            // a file that is refused is left without `-shm` and `-wal` files beside it.
            let immutable =
                StoreFile.opensImmutable(path: path, access: access)
                || !FileManager.default.fileExists(atPath: path + "-wal")
            content = try StoreFile.inspect(path: path, immutable: immutable)
        } else if access == .create {
            content = nil
        } else {
            throw LedgerError.cannotOpen(path: path, reason: "no such file; run `ledgerctl ingest` or `ledgerctl import` first")
        }
        if access.isReading || access == .write, content == .empty || content == .blank {
            throw LedgerError.notALedgerStore(
                path: path, reason: content == .empty ? "the file is empty" : "it is a SQLite database without tables")
        }
        if access.isReading {
            if case .ledger(let version) = content, version < Migrations.latestVersion {
                throw LedgerError.olderSchema(path: path, found: version, supported: Migrations.latestVersion)
            }
            queue = try Self.openReading(path: path, access: access)
        } else {
            guard content == nil || FileManager.default.isWritableFile(atPath: path) else {
                throw LedgerError.cannotOpen(
                    path: path, reason: "the file is read-only; reading commands can open it, this one writes")
            }
            var configuration = Configuration()
            configuration.journalMode = .wal
            configuration.busyMode = .timeout(30)
            configuration.prepareDatabase { db in try Self.prepare(db) }
            queue = try Self.openAndMigrate(path: path, configuration: configuration)
        }
    }

    /// A read-only connection to the Ledger store at `path`, immutable when it must be.
    private static func openReading(path: String, access: StoreAccess) throws -> DatabaseQueue {
        do {
            return try StoreFile.readOnlyQueue(
                path: path, immutable: StoreFile.opensImmutable(path: path, access: access), prepare: true)
        } catch let error as DatabaseError {
            throw openError(error, path: path)
        }
    }

    /// Opens the connection and applies migrations. Switching a new file to WAL takes an exclusive
    /// lock that SQLite reports as busy without waiting, so when several processes create the same
    /// file at once the losers retry for a bounded time.
    private static func openAndMigrate(path: String, configuration: Configuration) throws -> DatabaseQueue {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                try queue.writeWithoutTransaction { db in try Migrations.apply(to: db, path: path) }
                return queue
            } catch let error as DatabaseError {
                let busy = error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
                guard busy, ContinuousClock.now < deadline else { throw openError(error, path: path) }
                Thread.sleep(forTimeInterval: 0.02)
            } catch let error as LedgerError {
                throw error
            } catch {
                throw LedgerError.cannotOpen(path: path, reason: "\(error)")
            }
        }
    }

    /// Runs `body` in an immediate write transaction and maps SQLite failures to `LedgerError`.
    func write<T>(_ context: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw LedgerError.storage(context: context(), reason: "transaction did not run") }
                return result
            }
        } catch let error as DatabaseError {
            throw LedgerError.storage(context: "\(path): \(context())", reason: error.message ?? "\(error)")
        }
    }

    /// Runs `body` as a read and maps SQLite failures to `LedgerError`.
    func read<T>(_ context: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as DatabaseError {
            throw LedgerError.storage(context: "\(path): \(context())", reason: error.message ?? "\(error)")
        }
    }

    static func openError(_ error: DatabaseError, path: String) -> LedgerError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            .corruptDatabase(path: path, reason: error.message ?? "\(error.resultCode)")
        default:
            .cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }
}
