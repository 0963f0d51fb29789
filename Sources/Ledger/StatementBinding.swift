// Binding values to prepared statements, stepping them and reading columns through SQLite's C
// API, for the projection code on the append hot path (GRDB's argument arrays cost more per row
// there) and for archive reads, which the SQL function makes without a GRDB `Database`.

import GRDB
import GRDBSQLite

/// Binds and steps raw statements.
enum StatementBinding {
    static func integer(_ statement: OpaquePointer, _ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    /// Binds `text` as UTF-8, copied by SQLite; nil binds NULL and "" an empty string.
    static func text(_ statement: OpaquePointer, _ index: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(statement, index)
            return
        }
        text.withUTF8 { bytes in
            if let base = bytes.baseAddress {
                _ = sqlite3_bind_text(statement, index, base, Int32(bytes.count), transient)
            } else {
                _ = sqlite3_bind_text(statement, index, "", 0, transient)
            }
        }
    }

    /// Runs `statement`, which returns no rows, to completion.
    static func run(_ statement: OpaquePointer, in db: Database) throws {
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else { throw error(code, in: db) }
    }

    /// Column `index` of the current row as text ("" for NULL).
    static func columnText(_ statement: OpaquePointer, _ index: Int32) -> String {
        guard let text = sqlite3_column_text(statement, index) else { return "" }
        return String(
            decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, index))),
            as: UTF8.self)
    }

    /// Column `index` of the current row as bytes (empty for NULL).
    static func columnBlob(_ statement: OpaquePointer, _ index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0, let base = sqlite3_column_blob(statement, index) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: base, count: count))
    }

    static func error(_ code: Int32, in db: Database) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }

    /// SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
