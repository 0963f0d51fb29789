// The query language's entry points: compile text to SQL (parse, check, compile), and run or
// explain a compiled query on a store. Nothing a user types reaches SQL as text: literals are
// bound values and identifiers come from the catalog.

import Ledger

/// Compiles queries of the pipe language.
package enum QueryLanguage {
    /// Compiles `text` to the SQL of `engine`; `now` is the time `now()` and `ago()` count from.
    ///
    /// - Throws: `QueryError` with the position of the first problem.
    package static func compile(
        _ text: String, for engine: SQLEngine = .sqlite, now: Int64 = UTCTime.now()
    ) throws(QueryError) -> CompiledQuery {
        let pipeline = try Parser.parse(text)
        var checker = Checker(now: now)
        let checked = try checker.check(pipeline)
        var compiler = Compiler(dialect: engine == .sqlite ? SQLiteDialect() : PostgresDialect())
        return try compiler.compile(checked)
    }
}

/// A query's rows with its typed columns.
package struct QueryRows: Sendable, Equatable {
    package var columns: [QueryColumn]
    package var rows: [[SQLValue]]
}

extension ReportingStore {
    /// Runs a query compiled for this store's engine.
    ///
    /// - Throws: `LedgerError` when the store cannot be read or cannot evaluate the query.
    package func rows(of query: CompiledQuery) async throws -> QueryRows {
        QueryRows(columns: query.columns, rows: try await rows(sql: query.sql, arguments: query.arguments).rows)
    }
}

extension LedgerStore {
    /// SQLite's plan for a compiled query: which tables it scans and which indexes it uses.
    package func plan(of query: CompiledQuery) throws -> [String] {
        try queryPlan(sql: query.sql, arguments: query.arguments)
    }
}
