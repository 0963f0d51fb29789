// Reading a `postgres://` URL into a connection configuration: host or unix socket, TLS mode
// (see PostgresSSLMode.swift) and the password, from the URL, `PGPASSWORD` or a password file.

import Foundation
import Ledger
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store is: host, port, user, password and database, from its URL.
package struct PostgresTarget: CustomStringConvertible {
    package var configuration: PostgresClient.Configuration
    /// The same server, for one connection outside the pool.
    var connectionConfiguration: PostgresConnection.Configuration
    /// The URL without its password.
    package var description: String

    /// How the connection uses TLS.
    package var sslMode: PostgresSSLMode

    /// Reads `postgres://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=…&host=…]`
    /// (also `postgresql://`); the port defaults to 5432. `sslmode` is one of libpq's (see
    /// `PostgresSSLMode`), `require` by default for a host on another machine; a `host` starting
    /// with `/` (in the URL or its `host=` parameter) is a unix socket directory. Without a password
    /// in the URL, `PGPASSWORD` gives it, else the password file (`PGPASSFILE`, else `~/.pgpass`).
    package init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func malformed(_ reason: String) -> LedgerError {
            LedgerError.cannotOpen(path: Self.redacted(url), reason: reason)
        }
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme)
        else {
            throw malformed("not a PostgreSQL URL; expected postgres://user@host:port/database")
        }
        func parameter(_ name: String) -> String? {
            components.queryItems?.first(where: { $0.name == name })?.value.flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let host = parameter("host") ?? components.host, !host.isEmpty else {
            throw malformed("the URL names no host")
        }
        guard let user = components.user, !user.isEmpty else { throw malformed("the URL names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw malformed("the URL names no database") }
        let port = components.port ?? 5432
        let rootCertificate = parameter("sslrootcert")
        do {
            sslMode = try PostgresSSLMode.resolve(parameter("sslmode"), host: host, rootCertificate: rootCertificate)
        } catch {
            throw malformed(error.reason)
        }
        if let rootCertificate, rootCertificate != "system",
            !FileManager.default.isReadableFile(atPath: rootCertificate)
        {
            throw malformed("sslrootcert \(rootCertificate): no such readable file of trusted roots")
        }
        var password = components.password ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        if password == nil, let file = PostgresPassFile.path(environment: environment) {
            password = try PostgresPassFile.password(at: file, host: host, port: port, database: database, user: user)
        }
        if host.hasPrefix("/") {
            let socket = host + "/.s.PGSQL.\(port)"
            configuration = PostgresClient.Configuration(
                unixSocketPath: socket, username: user, password: password, database: database)
            connectionConfiguration = PostgresConnection.Configuration(
                unixSocketPath: socket, username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            let connectionTLS: PostgresConnection.Configuration.TLS
            if let settings = sslMode.tlsConfiguration(rootCertificate: rootCertificate) {
                let context: NIOSSLContext
                do {
                    context = try NIOSSLContext(configuration: settings)
                } catch {
                    throw malformed("the TLS settings cannot be used (\(error)); check sslrootcert")
                }
                (tls, connectionTLS) =
                    sslMode == .prefer ? (.prefer(settings), .prefer(context)) : (.require(settings), .require(context))
            } else {
                (tls, connectionTLS) = (.disable, .disable)
            }
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
            connectionConfiguration = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database,
                tls: connectionTLS)
        }
        description = "postgres://\(user)@\(host):\(port)/\(database)"
    }

    /// `url` with any password replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
