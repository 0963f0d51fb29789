// How a PostgreSQL URL becomes a connection: TLS is required for a host on another machine unless
// the URL says otherwise (a server refusing TLS must never receive the password in clear), the
// certificate is checked with `verify-ca`/`verify-full` against `sslrootcert`, and a password may
// come from PGPASSWORD or a libpq password file instead of the URL.

import Foundation
import Ledger
import LedgerPostgres
import LedgerTestSupport
import NIOSSL
import Testing

@Suite struct PostgresTargetTests {
    private func mode(_ url: String) throws -> PostgresSSLMode {
        try PostgresTarget(url: url, environment: [:]).sslMode
    }

    @Test func aHostOnAnotherMachineRequiresTLSByDefault() throws {
        #expect(try mode("postgres://ledger@db.example.com/ledger") == .require)
        #expect(try mode("postgres://ledger@10.0.0.7:6432/ledger") == .require)
        #expect(try mode("postgresql://ledger@db.example.com/ledger?sslrootcert=system") == .verifyFull)
    }

    @Test func thisMachinePrefersTLSWithoutRequiringIt() throws {
        for host in ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"] {
            #expect(try mode("postgres://ledger@\(host):5432/ledger") == .prefer, "\(host)")
        }
        #expect(try mode("postgres://ledger@ignored/ledger?host=/var/run/postgresql") == .prefer)
        #expect(PostgresSSLMode.isLocal("/tmp/sockets"))
        #expect(!PostgresSSLMode.isLocal("127.0.0.2.example.com"))
    }

    @Test func eachModeCanBeAskedForByName() throws {
        #expect(try mode("postgres://ledger@db.example.com/ledger?sslmode=disable") == .disable)
        #expect(try mode("postgres://ledger@db.example.com/ledger?sslmode=prefer") == .prefer)
        #expect(try mode("postgres://ledger@localhost/ledger?sslmode=require") == .require)
        #expect(try mode("postgres://ledger@db.example.com/ledger?sslmode=verify-ca&sslrootcert=system") == .verifyCA)
        #expect(try mode("postgres://ledger@db.example.com/ledger?sslmode=verify-full&sslrootcert=system") == .verifyFull)
    }

    @Test func aModeThatChecksCertificatesNeedsRootsToCheckAgainst() throws {
        #expect {
            try mode("postgres://ledger@db.example.com/ledger?sslmode=verify-full")
        } throws: { "\($0)".contains("needs sslrootcert") }
        #expect {
            try mode("postgres://ledger@db.example.com/ledger?sslmode=verify-full&sslrootcert=/nonexistent/root.crt")
        } throws: { "\($0)".contains("/nonexistent/root.crt") }
        #expect {
            try mode("postgres://ledger@db.example.com/ledger?sslmode=allow")
        } throws: { "\($0)".contains("unknown sslmode allow") && "\($0)".contains("verify-full") }
    }

    @Test func theVerifyingModesCheckTheCertificateAndRequireDoesNot() {
        #expect(PostgresSSLMode.disable.tlsConfiguration(rootCertificate: nil) == nil)
        #expect(PostgresSSLMode.require.tlsConfiguration(rootCertificate: nil)?.certificateVerification == CertificateVerification.none)
        #expect(
            PostgresSSLMode.require.tlsConfiguration(rootCertificate: "system")?.certificateVerification
                == .noHostnameVerification)
        #expect(
            PostgresSSLMode.verifyCA.tlsConfiguration(rootCertificate: "system")?.certificateVerification
                == .noHostnameVerification)
        #expect(
            PostgresSSLMode.verifyFull.tlsConfiguration(rootCertificate: "/etc/ledger/root.crt")?.trustRoots
                == .file("/etc/ledger/root.crt"))
        #expect(
            PostgresSSLMode.verifyFull.tlsConfiguration(rootCertificate: "system")?.certificateVerification
                == .fullVerification)
    }

    @Test func thePasswordComesFromTheURLThenPGPASSWORDThenThePasswordFile() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.path("pgpass")
        try "db.example.com:5432:ledger:ledger:from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        func password(_ url: String, _ environment: [String: String]) throws -> String? {
            try PostgresTarget(url: url, environment: environment).configuration.password
        }
        let environment = ["PGPASSWORD": "from-env", "PGPASSFILE": file]
        #expect(try password("postgres://ledger:from-url@db.example.com/ledger", environment) == "from-url")
        #expect(try password("postgres://ledger@db.example.com/ledger", environment) == "from-env")
        #expect(try password("postgres://ledger@db.example.com/ledger", ["PGPASSFILE": file]) == "from-file")
        #expect(try password("postgres://ledger@db.example.com:5433/ledger", ["PGPASSFILE": file]) == nil)
        #expect(try password("postgres://ledger@db.example.com/ledger", ["HOME": scratch.url.path]) == nil)
    }

    @Test func aPasswordFileOthersCanReadIsRefusedWhenItWouldBeUsed() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.path("pgpass")
        try "db.example.com:*:*:ledger:secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect {
            try PostgresTarget(url: "postgres://ledger@db.example.com/ledger", environment: ["PGPASSFILE": file])
        } throws: { "\($0)".contains("chmod 600") }
        // Not consulted: the URL has the password, or no line matches.
        _ = try PostgresTarget(url: "postgres://ledger:x@db.example.com/ledger", environment: ["PGPASSFILE": file])
        _ = try PostgresTarget(url: "postgres://other@db.example.com/ledger", environment: ["PGPASSFILE": file])
    }

    @Test func thePasswordFileIsReadAsLibpqReadsIt() {
        let file = PostgresPassFile(
            """
            # a comment, then a line too short to count
            db.example.com:5432:ledger
            db.example.com:5432:ledger:reader:first\\:match
            *:*:*:reader:second
            db\\:weird:*:*:*:back\\\\slash\\
            /var/run/postgresql:5432:*:local:by-socket
            localhost:5432:*:sock:by-localhost

            """)
        #expect(file.entries.count == 5)
        #expect(file.password(host: "db.example.com", port: 5432, database: "ledger", user: "reader") == "first:match")
        #expect(file.password(host: "db.example.com", port: 6432, database: "ledger", user: "reader") == "second")
        #expect(file.password(host: "db:weird", port: 1, database: "x", user: "y") == "back\\slash")
        #expect(file.password(host: "/var/run/postgresql", port: 5432, database: "x", user: "local") == "by-socket")
        #expect(file.password(host: "/var/run/postgresql", port: 5432, database: "x", user: "sock") == "by-localhost")
        #expect(file.password(host: "db.example.com", port: 5432, database: "ledger", user: "nobody") == nil)
    }

    @Test(.enabled(if: TestPostgres.serverURL != nil))
    func aServerWithoutTLSIsRefusedWhenTLSIsRequired() async throws {
        let url = try #require(TestPostgres.serverURL) + "?sslmode=require"
        await #expect {
            _ = try await PostgresStore(url: url, connectionWait: .seconds(5))
        } throws: { error in
            guard case .cannotOpen = error as? LedgerError else { return false }
            return true
        }
    }
}
