// libpq's password file (`PGPASSFILE`, else `~/.pgpass`): lines of
// `hostname:port:database:username:password`, `*` matching anything in the first four fields,
// `\:` and `\\` escaping a colon and a backslash, `#` starting a comment. Lets a URL leave its
// password out, as `PGPASSWORD` does.

import Foundation
import Ledger

/// The entries of a password file, searched as libpq searches them: the first match wins.
package struct PostgresPassFile: Sendable, Equatable {
    /// One line: four patterns and the password they give.
    package struct Entry: Sendable, Equatable {
        package var host: String
        package var port: String
        package var database: String
        package var user: String
        package var password: String
    }

    package var entries: [Entry]

    /// Reads the lines of `text`; lines with fewer than five fields are skipped, as libpq skips them.
    package init(_ text: String) {
        entries = text.split(whereSeparator: \.isNewline).compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            var fields: [String] = []
            var field = ""
            var escaped = false
            for character in line {
                if escaped {
                    field.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":", fields.count < 4 {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
            }
            guard fields.count == 4 else { return nil }
            return Entry(host: fields[0], port: fields[1], database: fields[2], user: fields[3], password: field)
        }
    }

    /// The password of the first entry matching the connection, or nil.
    package func password(host: String, port: Int, database: String, user: String) -> String? {
        func matches(_ pattern: String, _ values: [String]) -> Bool { pattern == "*" || values.contains(pattern) }
        // libpq names a connection through the default socket directory `localhost`.
        let hosts = PostgresSSLMode.isLocal(host) && host.hasPrefix("/") ? [host, "localhost"] : [host]
        return entries.first {
            matches($0.host, hosts) && matches($0.port, [String(port)]) && matches($0.database, [database])
                && matches($0.user, [user])
        }?.password
    }

    /// Where the password file is: `PGPASSFILE`, else `.pgpass` in `HOME`; nil without either.
    package static func path(environment: [String: String]) -> String? {
        if let path = environment["PGPASSFILE"], !path.isEmpty { return path }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.pgpass"
    }

    /// The password the file at `path` gives the connection; nil when the file is missing or has
    /// no match. A matching file that others can read is refused, as libpq refuses it.
    package static func password(
        at path: String, host: String, port: Int, database: String, user: String
    ) throws(LedgerError) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let password = PostgresPassFile(String(decoding: data, as: UTF8.self))
            .password(host: host, port: port, database: database, user: user)
        else { return nil }
        let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
        guard mode & 0o077 == 0 else {
            throw LedgerError.cannotOpen(
                path: path,
                reason: "the password file can be read by others (mode \(String(mode, radix: 8))); "
                    + "`chmod 600 \(path)` as libpq requires, or give the password in PGPASSWORD")
        }
        return password
    }
}
