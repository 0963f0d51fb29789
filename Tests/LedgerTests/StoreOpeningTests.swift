// Opening a file never harms it: a reading open creates, migrates and changes nothing (not the
// journal mode); an empty file, another application's database, an older or a newer schema is
// refused with one line and left byte for byte as it was; a read-only copy, even in a read-only
// directory, can be read, queried and verified.

import Crypto
import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct StoreOpeningTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    /// The SHA-256 of the file at `path` and the names in its directory: what must not change.
    private func fingerprint(_ path: String) throws -> ([UInt8], [String]) {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let directory = (path as NSString).deletingLastPathComponent
        return (Array(SHA256.hash(data: bytes)), try FileManager.default.contentsOfDirectory(atPath: directory).sorted())
    }

    /// Expects every open of `path` to be refused with a one-line error naming it, leaving it unchanged.
    private func expectRefused(
        _ path: String, accesses: [StoreAccess], saying words: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try fingerprint(path)
        for access in accesses {
            #expect(sourceLocation: sourceLocation) {
                try LedgerStore(path: path, access: access)
            } throws: { error in
                let line = "\(error)"
                return line.hasPrefix(path) && line.contains(words) && !line.contains("\n")
            }
            let after = try fingerprint(path)
            #expect(after == before, "\(access): \(before.1) → \(after.1)", sourceLocation: sourceLocation)
        }
    }

    /// A store with two finished runs, one of them archived, and a live one.
    private func makeStore(_ path: String) throws {
        let store = try LedgerStore(path: path)
        try store.append(RunScript.run(steps: 3, start: "2026-11-02T09:00:00Z"), to: "run-a")
        try store.compact(before: .max)
        try store.append(RunScript.run(steps: 2, start: "2026-11-03T09:00:00Z"), to: "run-b")
        try store.append(RunScript.run(steps: 2, ending: "running"), to: "run-live")
    }

    @Test func anEmptyFileIsRefusedByReadingCommandsAndLeftEmpty() throws {
        let path = scratch.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        try expectRefused(path, accesses: [.read, .readOnly, .write], saying: "the file is empty")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
    }

    @Test func anotherApplicationsDatabaseIsRefusedAndKeepsItsBytesAndJournalMode() throws {
        let path = scratch.path("notes.sqlite")
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hi')")
        }
        try expectRefused(path, accesses: [.read, .readOnly, .write, .create], saying: "another application's SQLite database")
        let mode = try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "delete")
    }

    @Test func anotherApplicationsSchemaMigrationsTableIsNotTakenForLedgers() throws {
        let path = scratch.path("rails.sqlite")
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); INSERT INTO schema_migrations VALUES ('1')")
        }
        try expectRefused(path, accesses: [.read, .create], saying: "another application's SQLite database")
    }

    @Test func aNewerOrOlderSchemaIsRefusedByReadingCommandsAndLeftUnchanged() throws {
        let path = scratch.path("ledger.sqlite")
        try makeStore(path)
        try DatabaseQueue(path: path).write { db in
            try db.execute(
                sql: "DELETE FROM schema_migrations WHERE version = ?", arguments: [Migrations.latestVersion])
        }
        try expectRefused(path, accesses: [.read, .readOnly], saying: "reading commands do not migrate")

        try DatabaseQueue(path: path).write { db in
            try db.execute(
                sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x'), (?, 'later', 'x')",
                arguments: [Migrations.latestVersion, Migrations.latestVersion + 1])
        }
        try expectRefused(path, accesses: [.read, .readOnly, .write, .create], saying: "newer Ledger")
    }

    @Test func aMissingFileIsNotCreatedByReadingCommands() throws {
        let path = scratch.path("absent.sqlite")
        for access in [StoreAccess.read, .readOnly, .write] {
            #expect(throws: LedgerError.self) { try LedgerStore(path: path, access: access) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }

    @Test func aReadingOpenOfAStoreChangesNoByte() throws {
        let path = scratch.path("ledger.sqlite")
        try makeStore(path)
        // Checkpointed and closed, as a copy handed to an auditor is.
        try DatabaseQueue(path: path).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let store = try LedgerStore(path: path, access: .read)
        #expect(try store.verify().isIntact)
        #expect(try store.runs().count == 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(throws: LedgerError.self) {
            try store.append([RawEvent(eventID: "9", type: "state", data: "{}", receivedAt: 1)], to: "run-live")
        }
    }

    @Test func aReadOnlyCopyInAReadOnlyDirectoryCanBeReadQueriedAndVerified() throws {
        let source = scratch.path("ledger.sqlite")
        try makeStore(source)
        try DatabaseQueue(path: source).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let directory = scratch.path("audit")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let path = directory + "/ledger copy #1?.sqlite"
        try FileManager.default.copyItem(atPath: source, toPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory) }
        let before = try fingerprint(path)
        let original = try LedgerStore(path: source)
        let timeline = try original.timeline(of: "run-a")
        let events = try original.events(of: "run-a")

        // `.readOnly` opens it immutable; so does `.read` when it finds the file read-only (only
        // for a user other than root, who can write any file).
        for access in getuid() == 0 ? [StoreAccess.readOnly] : [.read, .readOnly] {
            let store = try LedgerStore(path: path, access: access)
            #expect(try store.verify().isIntact)
            #expect(try store.runs().map(\.runID).sorted() == ["run-a", "run-b", "run-live"])
            #expect(try store.timeline(of: "run-a") == timeline)
            #expect(try store.events(of: "run-a") == events)
            let rows = try store.rows(sql: "SELECT count(*) FROM event_log WHERE run_id = 'run-a'", arguments: [])
            #expect(rows.rows == [[.integer(Int64(events.count))]])
        }
        #expect(try fingerprint(path) == before)
        // Root may write a read-only file; anyone else is told the file is read-only.
        if getuid() != 0 {
            #expect(throws: LedgerError.self) { try LedgerStore(path: path, access: .write) }
        }
    }
}
