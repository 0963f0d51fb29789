// Queries at the edges of size: a 200,000-item `in` list compiles (in linear time; the
// benchmark times it) and answers right; a query nested too deep for SQLite's parser is refused
// at compile time with its own message and the stage's position, never worded as an overflow.

import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct QueryLimitTests {
    @Test func aLongInListCompilesAndAnswersLikeARange() throws {
        let fixture = try QueryStore(SampleRuns.reportFixture())
        let items = (0..<200_000).map(String.init).joined(separator: ", ")
        let compiled = try QueryLanguage.compile("runs | where steps in (\(items)) | project run_id", now: fixture.now)
        #expect(compiled.arguments.count == 200_000)
        #expect(compiled.arguments.last == .integer(199_999))
        let expected = try fixture.rows("runs | where steps >= 0 and steps < 200000 | project run_id")
        #expect(!expected.isEmpty)
        #expect(try fixture.result(of: compiled).count == expected.count)
        #expect(try fixture.rows("runs | where steps in (\(items)) | project run_id") == expected)
    }

    @Test func fiftyStagesThatNestSubqueriesAreRefusedAsTooDeep() throws {
        let stages = (0..<25).map { _ in "| take 100 | where steps >= 0" }.joined(separator: " ")
        let query = "runs \(stages)"
        let failure = try #require(throwsQueryError(query))
        #expect(failure.message.hasPrefix("the query is too deep for the database here"), "\(failure)")
        #expect(failure.message.contains("more than the 80 allowed"), "\(failure)")
        #expect(query.unicodeScalars.count > failure.position.offset)
        #expect(["take", "where"].contains { query.dropFirst(failure.position.offset).hasPrefix($0) })
    }

    @Test func fiftyExtendStagesOnOneColumnAreRefusedBeforeTheSQLDoubles() throws {
        let stages = (0..<50).map { _ in "| extend x = x + x" }.joined(separator: " ")
        let failure = try #require(throwsQueryError("runs | extend x = steps \(stages)"))
        #expect(failure.message.contains("too"), "\(failure)")
    }

    @Test func queriesJustInsideTheLimitStillRun() throws {
        let fixture = try QueryStore(SampleRuns.reportFixture())
        let stages = (0..<8).map { _ in "| take 100 | where steps >= 0" }.joined(separator: " ")
        let all = try fixture.rows("runs | project run_id")
        #expect(try fixture.rows("runs \(stages) | project run_id").count == all.count)
        let extends = (0..<40).map { _ in "| extend x = x + 1" }.joined(separator: " ")
        #expect(try fixture.rows("runs | extend x = steps \(extends) | project x").count == all.count)
    }

    private func throwsQueryError(_ query: String) -> QueryError? {
        do {
            _ = try QueryLanguage.compile(query, now: 0)
            return nil
        } catch {
            return error
        }
    }
}
