// The price of a step over time. Prices are configuration, not events: a table of effective
// dates, seeded with $0.05 from the beginning of time. A step costs the price in force at its
// own time, so adding a price re-prices exactly the stored steps on or after its date.

import GRDB

/// One price of the table.
package struct PriceRow: Sendable, Equatable {
    /// From when it applies (UTC microseconds); nil for the beginning of time.
    package var effectiveFrom: Int64?
    package var perStep: Money

    package init(effectiveFrom: Int64?, perStep: Money) {
        self.effectiveFrom = effectiveFrom
        self.perStep = perStep
    }
}

/// What `setPrice` changed.
package struct PriceChange: Sendable, Equatable {
    /// The price that was in force at that date before.
    package var previous: Money
    /// Stored steps now costed with the new price, and the runs they belong to.
    package var repricedSteps: Int
    package var repricedRuns: Int

    package init(previous: Money, repricedSteps: Int, repricedRuns: Int) {
        self.previous = previous
        self.repricedSteps = repricedSteps
        self.repricedRuns = repricedRuns
    }
}

/// The price table in memory, oldest first: what both stores cost steps and change prices with.
package struct PriceTable: Sendable {
    /// What a step costs where no row applies (only if the seeded row were removed by hand).
    static let defaultMicros: Int64 = 50_000

    /// (effective from, micro-dollars per step), oldest first; the seeded row is from `Int64.min`.
    var entries: [(from: Int64, micros: Int64)]

    package init(entries: [(from: Int64, micros: Int64)]) {
        self.entries = entries
    }

    /// The price in micro-dollars of a step at `time`.
    package func micros(at time: Int64) -> Int64 {
        entries.last { $0.from <= time }?.micros ?? Self.defaultMicros
    }

    /// When the first price after `time` takes over, or `Int64.max` when none does.
    package func end(after time: Int64) -> Int64 {
        entries.first { $0.from > time }?.from ?? .max
    }

    /// The table as `ledgerctl prices` lists it.
    package var rows: [PriceRow] {
        entries.map { PriceRow(effectiveFrom: $0.from == Int64.min ? nil : $0.from, perStep: Money(micros: $0.micros)) }
    }

    static func load(_ db: Database) throws -> PriceTable {
        PriceTable(
            entries: try Row.fetchAll(
                db, sql: "SELECT effective_from, micros_per_step FROM prices ORDER BY effective_from"
            ).map { (from: $0[0], micros: $0[1]) })
    }
}

extension LedgerStore {
    /// The price table, oldest first.
    package func prices() throws -> [PriceRow] {
        try read("reading prices") { db in try PriceTable.load(db).rows }
    }

    /// Makes `price` the price of a step from `from` (UTC microseconds) until the next later price,
    /// replacing a price with the same date. Stored steps in that span are re-priced and their runs'
    /// costs follow, in one transaction, so the projections stay what a rebuild would give.
    /// A negative price is refused by the schema.
    @discardableResult
    package func setPrice(_ price: Money, from: Int64) throws -> PriceChange {
        try streamCache.withLock { cache in
            defer { cache.projections = ProjectionCache() }
            return try write("setting the price from \(UTCTime.format(from))") { db in
                let table = try PriceTable.load(db)
                let previous = table.micros(at: from)
                let until = table.end(after: from)
                try db.execute(
                    sql: """
                        INSERT INTO prices (effective_from, micros_per_step) VALUES (?, ?)
                        ON CONFLICT (effective_from) DO UPDATE SET micros_per_step = excluded.micros_per_step
                        """,
                    arguments: [from, price.micros])
                let deltas = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT run_key, count(*), sum(? - price_micros) FROM steps
                        WHERE at >= ? AND at < ? GROUP BY run_key
                        """,
                    arguments: [price.micros, from, until])
                try db.execute(
                    sql: "UPDATE steps SET price_micros = ? WHERE at >= ? AND at < ?",
                    arguments: [price.micros, from, until])
                let updateRun = try db.cachedStatement(
                    sql: "UPDATE runs SET cost_micros = cost_micros + ? WHERE run_key = ?")
                var steps = 0
                for row in deltas {
                    steps += row[1] as Int
                    try updateRun.execute(arguments: [row[2] as Int64, row[0] as Int64])
                }
                return PriceChange(previous: Money(micros: previous), repricedSteps: steps, repricedRuns: deltas.count)
            }
        }
    }
}
