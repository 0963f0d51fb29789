// What the query tests share: a store filled with runs, and ways to run a query on it and read
// its rows as text, alongside the same question's answer from hand-written SQL.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Query
import Testing

/// A scratch store with the given runs appended.
struct QueryStore {
    let scratch: ScratchDirectory
    let store: LedgerStore
    /// `now()` for the queries, fixed so answers do not depend on when the test runs.
    let now: Int64

    init(_ runs: [RunBatch], now: Int64 = 1_794_000_000_000_000) throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        self.now = now
        try store.append(runs)
    }

    /// The query's rows, every value as text (null as nil; money, durations and times as stored integers).
    func rows(_ query: String) throws -> [[String?]] {
        try result(of: QueryLanguage.compile(query, now: now)).map { $0.map(text) }
    }

    /// One column of the query's rows, by name.
    func column(_ name: String, of query: String) throws -> [String?] {
        let compiled = try QueryLanguage.compile(query, now: now)
        let index = try #require(compiled.columns.firstIndex { $0.name == name }, "no column \(name)")
        return try result(of: compiled).map { text($0[index]) }
    }

    /// The rows of a compiled query.
    func result(of compiled: CompiledQuery) throws -> [[SQLValue]] {
        try store.rows(sql: compiled.sql, arguments: compiled.arguments).rows
    }

    /// The rows of hand-written SQL, every value as text.
    func handWritten(_ sql: String, _ arguments: StatementArguments = []) throws -> [[String?]] {
        try DatabaseQueue(path: store.path).read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in row.databaseValues.map(Self.text) }
        }
    }

    private func text(_ value: SQLValue) -> String? {
        switch value {
        case .null: nil
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .text(let text): text
        case .blob(let bytes): "\(bytes)"
        }
    }

    private static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: nil
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): text
        case .blob(let data): "\(Array(data))"
        }
    }
}

/// Micro-dollars as text, as dollars with cents.
func dollars(_ micros: String?) -> String? { micros.flatMap(Int64.init).map { Money(micros: $0).decimalText } }
