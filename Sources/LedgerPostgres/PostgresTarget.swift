// Reading a `postgres://` URL into a connection configuration.

import Foundation
import Ledger
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store is: host, port, user, password and database, from its URL.
struct PostgresTarget: CustomStringConvertible {
    var configuration: PostgresClient.Configuration
    /// The same server, for one connection outside the pool.
    var connectionConfiguration: PostgresConnection.Configuration
    /// The URL without its password.
    var description: String

    /// Reads `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`
    /// (also `postgresql://`); the port defaults to 5432.
    init(url: String) throws {
        func malformed(_ reason: String) -> LedgerError {
            LedgerError.cannotOpen(path: Self.redacted(url), reason: reason)
        }
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme)
        else {
            throw malformed("not a PostgreSQL URL; expected postgres://user@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw malformed("the URL names no host") }
        guard let user = components.user, !user.isEmpty else { throw malformed("the URL names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw malformed("the URL names no database") }
        let port = components.port ?? 5432
        let tls: PostgresClient.Configuration.TLS
        let connectionTLS: PostgresConnection.Configuration.TLS
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable": (tls, connectionTLS) = (.disable, .disable)
        case "prefer":
            tls = .prefer(.makeClientConfiguration())
            connectionTLS = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case "require":
            tls = .require(.makeClientConfiguration())
            connectionTLS = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case let mode: throw malformed("unknown sslmode \(mode); use disable, prefer or require")
        }
        configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: components.password, database: database, tls: tls)
        connectionConfiguration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: components.password, database: database,
            tls: connectionTLS)
        description = "postgres://\(user)@\(host):\(port)/\(database)"
    }

    /// `url` with any password replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
