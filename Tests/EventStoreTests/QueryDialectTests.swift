// The PostgreSQL dialect against SQLite: thousands of seeded random and mutated queries (and
// the corpus) run on a SQLite store and on a PostgreSQL store holding the same runs; every query
// SQLite answers must give PostgreSQL the same rows. Rows are compared as multisets (row order
// is each engine's own where a query leaves it open) and reals to 1e-9 relative.

import Foundation
import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
struct QueryDialectTests {
    @Test func postgresGivesSQLitesRowsForEveryQuery() async throws {
        let now: Int64 = 1_794_000_000_000_000
        let runs = SampleRuns.generate(count: 40, seed: 0xD1A1, end: now) + SampleRuns.reportFixture()
        let scratch = try ScratchDirectory()
        let sqlite = try LedgerStore(path: scratch.path("reference.sqlite"))
        try sqlite.append(runs)
        let postgres = try await StoreBackend.postgres.makeLocation().open()
        try await postgres.append(runs)
        let seed: UInt64 = 0xD1A1_0007
        var random = SplitMix(seed: seed)
        let queries = QueryCorpus.corpus + (0..<3_000).map { QueryCorpus.query($0, &random) }
        var compared = 0
        for query in queries {
            // A query whose rows `take` cuts from an order with ties may keep other rows on each.
            guard let reference = try? await sqlite.rows(of: QueryLanguage.compile(query, now: now)),
                !query.contains("take"), !query.contains("top")
            else { continue }
            let rows: QueryRows
            do {
                rows = try await postgres.rows(of: QueryLanguage.compile(query, for: .postgresql, now: now))
            } catch {
                Issue.record("seed \(seed): \(query)\n\(error)")
                continue
            }
            compared += 1
            #expect(
                Self.sameRows(rows.rows, reference.rows),
                "seed \(seed): \(query)\nPostgreSQL: \(rows.rows.prefix(5))\nSQLite: \(reference.rows.prefix(5))")
        }
        #expect(compared > 300, "seed \(seed): too few queries compared (\(compared))")
    }

    private static func sameRows(_ a: [[SQLValue]], _ b: [[SQLValue]]) -> Bool {
        guard a.count == b.count else { return false }
        let key = { (row: [SQLValue]) in row.map { "\($0)" }.joined(separator: "\u{1}") }
        return zip(a.sorted { key($0) < key($1) }, b.sorted { key($0) < key($1) }).allSatisfy { left, right in
            left.count == right.count && zip(left, right).allSatisfy(sameValue)
        }
    }

    private static func sameValue(_ a: SQLValue, _ b: SQLValue) -> Bool {
        switch (a, b) {
        case (.real(let x), .real(let y)): abs(x - y) <= 1e-9 * max(1, abs(x), abs(y))
        default: a == b
        }
    }
}
