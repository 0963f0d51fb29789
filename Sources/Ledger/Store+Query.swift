// The narrow read-only door the query language uses: run one SELECT with bound values and get
// its rows as plain values, or its plan. Nothing here writes; a statement that would is refused,
// and SQLite failures come back as LedgerError sentences, never SQLite's own text.

import Foundation
import GRDB
import GRDBSQLite

/// One value of a query row or argument, as SQLite stores it.
package enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// The rows a query returned, with the column names of its SELECT.
package struct QueryResult: Sendable, Equatable {
    package var columns: [String]
    package var rows: [[SQLValue]]

    package init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

extension LedgerStore {
    /// Runs the read-only `sql` with `arguments` bound to its `?` in order, after catching the
    /// projections up so the rows include every stored event.
    ///
    /// - Throws: `LedgerError.query` when the statement would write or SQLite cannot evaluate it.
    package func rows(sql: String, arguments: [SQLValue]) throws -> QueryResult {
        var result = QueryResult(columns: [], rows: [])
        result.columns = try forEachRow(sql: sql, arguments: arguments) { result.rows.append($0) }
        return result
    }

    /// Runs the read-only `sql` like `rows(sql:arguments:)`, handing each row to `body` as SQLite
    /// steps to it, so no more than one row is held; returns the column names.
    ///
    /// - Throws: `LedgerError.query` when the statement would write or SQLite cannot evaluate it,
    ///   and whatever `body` throws.
    @discardableResult
    package func forEachRow(sql: String, arguments: [SQLValue], _ body: ([SQLValue]) throws -> Void) throws
        -> [String]
    {
        try catchUpProjections()
        return try readQuery { db in
            let statement = try Self.readOnlyStatement(db, sql: sql, arguments: arguments)
            let columns = statement.columnNames
            // Stepped through the C API: GRDB would read text as a C string, ending at a NUL.
            let raw = statement.sqliteStatement
            while true {
                let code = sqlite3_step(raw)
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else { throw StatementBinding.error(code, in: db) }
                try body((0..<Int32(columns.count)).map { SQLValue(column: $0, of: raw) })
            }
            return columns
        }
    }

    /// SQLite's plan for `sql` (EXPLAIN QUERY PLAN), one line per step, indented by depth.
    package func queryPlan(sql: String, arguments: [SQLValue]) throws -> [String] {
        try readQuery { db in
            _ = try Self.readOnlyStatement(db, sql: sql, arguments: arguments)
            let rows = try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(arguments.map(\.databaseValue)))
            var depth: [Int64: Int] = [:]
            return rows.map { row in
                let id: Int64 = row[0]
                let parent: Int64 = row[1]
                let level = parent == 0 ? 0 : (depth[parent] ?? 0) + 1
                depth[id] = level
                return String(repeating: "  ", count: level) + (row[3] as String)
            }
        }
    }

    private static func readOnlyStatement(_ db: Database, sql: String, arguments: [SQLValue]) throws -> Statement {
        let statement = try db.makeStatement(sql: sql)
        guard statement.isReadonly else {
            throw LedgerError.query(reason: "only reading statements can run as queries")
        }
        try statement.setArguments(StatementArguments(arguments.map(\.databaseValue)))
        return statement
    }

    /// A read (GRDB runs it with `query_only` on) whose SQLite failures become `LedgerError.query`.
    private func readQuery<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as DatabaseError {
            throw LedgerError.query(reason: Self.queryFailure(error))
        }
    }

    /// What went wrong, in Ledger's words: the causes a generated query can meet at run time.
    private static func queryFailure(_ error: DatabaseError) -> String {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: "the database is locked by another process; try again"
        case .SQLITE_NOMEM: "SQLite ran out of memory; narrow the query with where or take"
        case .SQLITE_TOOBIG: "a value grew larger than SQLite allows"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: "the database file is damaged; run `ledgerctl verify`"
        case .SQLITE_INTERRUPT: "the query was interrupted"
        // An archive that cannot be read, as `ledger_archive` words it (SQLite never names ledgerctl).
        case _ where error.message?.contains("ledgerctl verify") == true: error.message ?? ""
        // sum()'s own error (SQLITE_ERROR, this exact text); other words that mention overflow
        // (the parser's stack) are not a sum.
        case .SQLITE_ERROR where error.message == "integer overflow":
            "a sum passed the largest 64-bit integer; filter the rows first"
        case .SQLITE_ERROR where error.message == "parser stack overflow":
            "the query nests too deeply for SQLite's parser; use fewer stages"
        case .SQLITE_ERROR where error.message?.hasPrefix("Expression tree is too large") == true:
            "an expression nests too deeply for SQLite (\(error.message ?? "")); split it with extend"
        default:
            "SQLite could not evaluate the query (result code \(error.resultCode.rawValue))"
        }
    }
}

extension SQLValue {
    /// Column `index` of the row `statement` stands on, every byte of text and blobs kept.
    init(column index: Int32, of statement: OpaquePointer) {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: self = .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: self = .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: self = .text(StatementBinding.columnText(statement, index))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            self = .blob(
                sqlite3_column_blob(statement, index).map {
                    Array(UnsafeRawBufferPointer(start: $0, count: count))
                } ?? [])
        default: self = .null
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let bytes): Data(bytes).databaseValue
        }
    }
}
