// Thousands of random and mutated queries: each either compiles and runs to rows, or fails with
// a QueryError positioned inside the text; never a crash, never an error from SQLite (which
// would mean the compiler wrote SQL it should not have). Seeded; a failure names its seed.

import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct FuzzTests {
    @Test func randomAndMutatedQueriesGiveRowsOrAPositionedError() throws {
        let fixture = try QueryStore(SampleRuns.reportFixture())
        let seed: UInt64 = 0xF022_0007
        var random = SplitMix(seed: seed)
        var outcomes = (rows: 0, errors: 0)
        for index in 0..<5_000 {
            let query = QueryCorpus.query(index, &random)
            do {
                let compiled = try QueryLanguage.compile(query, now: fixture.now)
                _ = try fixture.result(of: compiled)
                outcomes.rows += 1
            } catch let error as QueryError {
                outcomes.errors += 1
                #expect(
                    (0...query.count).contains(error.position.offset) && error.position.line >= 1
                        && error.position.column >= 1,
                    "seed \(seed), query \(index): \(error) outside \(query)")
                #expect(!error.message.isEmpty)
            } catch let error as LedgerError {
                #expect(
                    error == .query(reason: "a sum passed the largest 64-bit integer; filter the rows first"),
                    "seed \(seed), query \(index): \(query)\n\(error)")
            }
        }
        #expect(outcomes.rows > 300, "seed \(seed): too few queries ran (\(outcomes))")
        #expect(outcomes.errors > 300, "seed \(seed): too few queries failed (\(outcomes))")
    }
}
