// PostgreSQL schema migrations: the embedded copies equal schema/postgres/*.sql, the statement
// splitter keeps function bodies whole, a database records each migration once however many
// stores open it at once, and a database from a newer Ledger is refused.

import Foundation
import Ledger
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite struct PostgresMigrationTests {
    @Test func embeddedMigrationsMatchSchemaFilesByteForByte() throws {
        let schema = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schema/postgres")
        let files = try FileManager.default.contentsOfDirectory(atPath: schema.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count == PostgresMigrations.all.count)
        for (file, migration) in zip(files, PostgresMigrations.all) {
            #expect(file == String(format: "%03d_%@.sql", migration.version, migration.name))
            let text = try String(contentsOf: schema.appendingPathComponent(file), encoding: .utf8)
            #expect(text == migration.sql, "\(file) differs from its embedded copy in PostgresMigrations.swift")
        }
    }

    @Test func statementsSplitAtSemicolonsOutsideFunctionBodies() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x int);
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'no; never';
            END;
            $$;
            CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION f();

            """
        let statements = PostgresMigrations.statements(of: sql)
        #expect(statements.count == 3)
        #expect(statements[0] == "CREATE TABLE a (x int)")
        #expect(statements[1].hasSuffix("END;\n$$"))
        #expect(statements[2].hasPrefix("CREATE TRIGGER t"))
    }

    @Test(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
    func storesOpeningAtOnceRecordEveryMigrationOnce() async throws {
        let url = try await TestPostgres.makeDatabase()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try await PostgresStore(url: url) } }
            try await group.waitForAll()
        }
        try await TestPostgres.execute(
            """
            DO $$ BEGIN
                IF (SELECT count(*) FROM schema_migrations) <> \(PostgresMigrations.all.count) THEN
                    RAISE EXCEPTION 'migrations recorded more than once';
                END IF;
            END $$
            """, on: url)
    }

    @Test(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
    func newerSchemaIsRefused() async throws {
        let url = try await TestPostgres.makeDatabase()
        _ = try await PostgresStore(url: url)
        try await TestPostgres.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')", on: url)
        await #expect {
            _ = try await PostgresStore(url: url)
        } throws: { error in
            guard case .newerSchema(_, 999, _) = error as? LedgerError else { return false }
            return true
        }
    }

    @Test func unreachableServerIsReportedAtOnce() async throws {
        // A port nothing listens on: connections are refused (the pool alone would retry for ever).
        let url = "postgres://postgres@127.0.0.1:\(try closedPort())/ledger"
        await #expect {
            _ = try await PostgresStore(url: url)
        } throws: { error in
            guard case .cannotOpen(let path, let reason) = error as? LedgerError else { return false }
            return path == url && reason.lowercased().contains("refused")
        }
    }

    @Test(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
    func missingDatabaseIsNamedByTheServer() async throws {
        let server = try #require(TestPostgres.serverURL)
        var url = try #require(URLComponents(string: server))
        url.path = "/no_such_ledger"
        await #expect {
            _ = try await PostgresStore(url: try #require(url.string))
        } throws: { error in
            "\(error.localizedDescription)".contains(#"database "no_such_ledger" does not exist"#)
        }
    }

    @Test func malformedURLsAreRefusedWithTheReason() async {
        for (url, reason) in [
            ("postgres://127.0.0.1/db", "no user"), ("postgres://me@127.0.0.1", "no database"),
            ("postgres://me@127.0.0.1/db?sslmode=sometimes", "unknown sslmode"),
        ] {
            await #expect {
                _ = try await PostgresStore(url: url)
            } throws: { error in
                "\(error.localizedDescription)".contains(reason)
            }
        }
    }
}

/// A loopback port that was free a moment ago.
private func closedPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    try #require(bound)
    return Int(UInt16(bigEndian: address.sin_port))
}
