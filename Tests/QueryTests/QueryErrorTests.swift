// Errors a person can act on: each names the place (line and column), the word or both types
// involved, and a likely fix; misspelt columns, functions, stages and sources get the closest
// known name.

import Ledger
import Query
import Testing

@Suite struct QueryErrorTests {
    private func error(_ query: String) -> QueryError? {
        do {
            _ = try QueryLanguage.compile(query, now: 0)
            return nil
        } catch {
            return error
        }
    }

    @Test func misspeltColumnSuggestsTheClosest() throws {
        let failure = try #require(error("runs | where coast > 1"))
        #expect(failure.description == "1:14: unknown column 'coast' in runs; did you mean 'cost_usd'?")
        #expect(failure.position == SourcePosition(line: 1, column: 14, offset: 13))
    }

    @Test(arguments: [
        ("runs | summarise count()", "1:8", "did you mean 'summarize'?"),
        ("run | take 1", "1:1", "did you mean 'runs'?"),
        ("runs | summarize cont()", "1:18", "did you mean 'count'?"),
        ("runs | summarize p59(duration_s)", "1:18", "did you mean 'p50'?"),
        ("steps | project at, actiontype", "1:21", "did you mean 'action_type'?"),
        ("runs | where stat == \"failed\"", "1:14", "did you mean 'state'?"),
    ])
    func misspeltNamesGetSuggestions(query: String, place: String, suggestion: String) throws {
        let failure = try #require(error(query))
        #expect(failure.position.description == place, "\(failure)")
        #expect(failure.suggestion == suggestion, "\(failure)")
    }

    @Test(arguments: [
        ("runs | where cost_usd == \"cheap\"", "cannot compare money with string"),
        ("runs | where started_at > 42", "cannot compare timestamp with int"),
        ("runs | extend x = cost_usd + started_at", "cannot apply '+' to money and timestamp"),
        ("runs | where state contains 3", "'contains' works on text, got int"),
        ("runs | where steps", "where needs a true/false condition, got int"),
        ("runs | where duration_s between 1m and \"x\"", "cannot compare duration with string"),
        ("runs | summarize sum(state)", "sum needs numbers, money or durations, got string"),
        ("runs | extend x = day(steps)", "day needs a timestamp, got int"),
    ])
    func typeErrorsNameBothTypes(query: String, message: String) throws {
        let failure = try #require(error(query))
        #expect(failure.message.hasPrefix(message), "\(failure)")
    }

    @Test func positionsCountLinesAndColumnsOfMultiLineQueries() throws {
        let failure = try #require(error("runs\n| where state == \"failed\"\n| summarize total = sum(cost)"))
        #expect(failure.position.line == 3)
        #expect(failure.position.column == 25)
        #expect(failure.suggestion == "did you mean 'cost_usd'?")
    }

    @Test(arguments: [
        ("runs | where state = \"failed\"", "1:20", "compare with '=='"),
        ("runs | sort cost_usd", "1:13", nil),
        ("runs | where state == \"failed", "1:23", "end it with \""),
        ("runs | where duration_s > 5x", "1:27", "durations are written like 250ms, 90s, 5m, 12h or 7d"),
        (
            "runs | where started_at > 2026-13-01", "1:27",
            "write a UTC date like 2026-11-01 or a time like 2026-11-01T10:00:00Z"
        ),
        ("runs | take ten", "1:13", "write it like take 10"),
        ("runs | where steps > 1; drop table runs", "1:23", "a query is one pipeline; join stages with '|'"),
        ("runs where steps > 1", "1:6", "put '|' before 'where'"),
        ("runs | summarize count() by", "1:28", nil),
        ("runs | summarize state", "1:18", "aggregate it, e.g. max(state), or add it after 'by'"),
        (
            "runs | summarize n = 1", "1:22",
            "use count(), sum(…), avg(…) or another aggregate, or put the column after 'by'"
        ),
        ("runs | where count() > 1", "1:14", "use it in summarize, e.g. summarize count(…) by …"),
        ("runs | summarize c = count(), c = sum(steps)", "1:31", "name one of them: NAME = expression"),
    ])
    func syntaxAndStageErrorsPointAtTheSpot(query: String, place: String, suggestion: String?) throws {
        let failure = try #require(error(query))
        #expect(failure.position.description == place, "\(failure)")
        #expect(failure.suggestion == suggestion, "\(failure)")
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let parentheses = String(repeating: "(", count: 5_000) + "1" + String(repeating: ")", count: 5_000)
        #expect(error("runs | where steps > \(parentheses)")?.message.contains("nests deeper") == true)
        let chain = (0..<5_000).map { _ in "steps" }.joined(separator: " + ")
        #expect(error("runs | extend x = \(chain)")?.message.contains("nests deeper") == true)
        #expect(error("runs | where " + String(repeating: "not ", count: 5_000) + "true") != nil)
    }

    @Test func errorsReadAsOneSentenceWithThePlace() throws {
        let failure = try #require(error("transitions | summarize waited = sum(duration) by run_id"))
        #expect(
            failure.localizedDescription == "1:38: unknown column 'duration' in transitions; did you mean 'duration_s'?"
        )
    }
}
