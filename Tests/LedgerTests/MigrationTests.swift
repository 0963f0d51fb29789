// Schema migrations: the embedded copies equal schema/*.sql, a store records what it applied,
// a store from a newer Ledger is refused untouched, and a file that is not a database is named.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct MigrationTests {
    let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    @Test func embeddedMigrationsMatchSchemaFilesByteForByte() throws {
        let schema = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schema")
        let files = try FileManager.default.contentsOfDirectory(atPath: schema.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count == Migrations.all.count)
        for (file, migration) in zip(files, Migrations.all) {
            #expect(file == String(format: "%03d_%@.sql", migration.version, migration.name))
            let text = try String(contentsOf: schema.appendingPathComponent(file), encoding: .utf8)
            #expect(text == migration.sql, "\(file) differs from its embedded copy in Migrations.swift")
        }
    }

    @Test func openingRecordsEveryMigrationOnce() throws {
        let path = scratch.path("ledger.sqlite")
        _ = try LedgerStore(path: path)
        _ = try LedgerStore(path: path)
        let versions = try DatabaseQueue(path: path).read {
            try Int.fetchAll($0, sql: "SELECT version FROM schema_migrations ORDER BY version")
        }
        #expect(versions == Migrations.all.map(\.version))
    }

    @Test func newerSchemaIsRefusedAndLeftUntouched() throws {
        let path = scratch.path("ledger.sqlite")
        _ = try LedgerStore(path: path)
        let future = Migrations.latestVersion + 1
        try DatabaseQueue(path: path).write {
            try $0.execute(
                sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')",
                arguments: [future])
        }

        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: LedgerError.newerSchema(path: path, found: future, supported: Migrations.latestVersion)) {
            try LedgerStore(path: path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func fileThatIsNotADatabaseIsReportedAsCorrupt() throws {
        let path = scratch.path("notes.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            try LedgerStore(path: path)
        } throws: { error in
            guard case .corruptDatabase(let named, _) = error as? LedgerError else { return false }
            return named == path
        }
    }

    @Test func missingStoreIsNotCreatedForReading() throws {
        let path = scratch.path("absent.sqlite")
        #expect(throws: LedgerError.self) { try LedgerStore(path: path, create: false) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
