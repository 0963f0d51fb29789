// Step rows on their way to the `steps` table. The projector collects them as it folds events
// and inserts them many rows per statement, which costs far less than one INSERT per step.
// Their text is copied into one arena, so nothing points into event data once it is gone.

import GRDB
import GRDBSQLite

/// The numbers of one `steps` row.
struct PendingStep {
    var runKey: Int64
    var position: Int64
    var step: Int64?
    var at: Int64
    var gap: Int64?
    var price: Int64
}

/// A buffer of `steps` rows.
struct StepRows {
    /// Rows buffered before they are written.
    static let capacity = 512
    /// Rows per INSERT statement.
    private static let rowsPerStatement = 64

    private var rows: [PendingStep] = []
    /// Per row, the arena ranges of its action type and message (nil for NULL).
    private var texts: [(actionType: Range<Int>?, message: Range<Int>?)] = []
    private var arena: [UInt8] = []

    var count: Int { rows.count }

    /// Buffers `row` with the text of `actionType` and `message` (slices of `data`).
    mutating func append(
        _ row: PendingStep, actionType: TextSlice?, message: TextSlice?, in data: UnsafeBufferPointer<UInt8>
    ) {
        rows.append(row)
        texts.append((copy(actionType, from: data), copy(message, from: data)))
    }

    /// Inserts every buffered row and empties the buffer.
    mutating func write(_ db: Database) throws {
        var next = 0
        while next < rows.count {
            let count = min(Self.rowsPerStatement, rows.count - next)
            let sql = count == Self.rowsPerStatement ? Self.fullInsert : Self.insert(rows: count)
            let statement = try db.cachedStatement(sql: sql).sqliteStatement
            sqlite3_reset(statement)
            let code = arena.withUnsafeBufferPointer { arena in
                for offset in 0..<count { bind(next + offset, at: Int32(offset * 8), statement, arena) }
                return sqlite3_step(statement)
            }
            sqlite3_clear_bindings(statement)
            guard code == SQLITE_DONE else { throw StatementBinding.error(code, in: db) }
            next += count
        }
        rows.removeAll(keepingCapacity: true)
        texts.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
    }

    /// The buffered rows as values; empties the buffer.
    mutating func drain() -> [ProjectedStep] {
        func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: arena[$0], as: UTF8.self) } }
        let drained = rows.indices.map { index in
            let row = rows[index]
            return ProjectedStep(
                runKey: row.runKey, position: row.position, step: row.step, at: row.at,
                actionType: text(texts[index].actionType), message: text(texts[index].message), gapUs: row.gap,
                priceMicros: row.price)
        }
        rows.removeAll(keepingCapacity: true)
        texts.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        return drained
    }

    private mutating func copy(_ slice: TextSlice?, from data: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        guard let slice else { return nil }
        let start = arena.count
        if slice.escaped {
            arena.append(contentsOf: EventScanner.text(slice, in: data).utf8)
        } else {
            arena.append(contentsOf: UnsafeBufferPointer(rebasing: data[slice.start..<slice.end]))
        }
        return start..<arena.count
    }

    /// Binds row `index` to the statement's parameters after `base`. The text is bound without a
    /// copy (the arena outlives the step; bindings are cleared right after it).
    private func bind(_ index: Int, at base: Int32, _ statement: OpaquePointer, _ arena: UnsafeBufferPointer<UInt8>) {
        let row = rows[index]
        sqlite3_bind_int64(statement, base + 1, row.runKey)
        sqlite3_bind_int64(statement, base + 2, row.position)
        StatementBinding.integer(statement, base + 3, row.step)
        sqlite3_bind_int64(statement, base + 4, row.at)
        bindText(statement, base + 5, texts[index].actionType, arena)
        bindText(statement, base + 6, texts[index].message, arena)
        StatementBinding.integer(statement, base + 7, row.gap)
        sqlite3_bind_int64(statement, base + 8, row.price)
    }

    private func bindText(
        _ statement: OpaquePointer, _ index: Int32, _ range: Range<Int>?, _ arena: UnsafeBufferPointer<UInt8>
    ) {
        guard let range else {
            sqlite3_bind_null(statement, index)
            return
        }
        guard let base = arena.baseAddress, !range.isEmpty else {
            sqlite3_bind_text(statement, index, "", 0, nil)
            return
        }
        sqlite3_bind_text(statement, index, base + range.lowerBound, Int32(range.count), nil)
    }

    private static let fullInsert = insert(rows: rowsPerStatement)

    private static func insert(rows: Int) -> String {
        "INSERT INTO steps (run_key, position, step, at, action_type, message, gap_us, price_micros) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }
}
