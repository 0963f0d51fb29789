// Thousands of random and mutated queries: each either compiles and runs to rows, or fails with
// a QueryError positioned inside the text; never a crash, never an error from SQLite (which
// would mean the compiler wrote SQL it should not have). Seeded; a failure names its seed.

import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct FuzzTests {
    static let corpus = [
        #"runs | where state == "failed" and started_at > ago(30d) | summarize runs = count(), cost = sum(cost_usd) by failure_reason | sort by cost desc"#,
        #"steps | where run_id == "run-a" | project at, step, action_type, message"#,
        "runs | summarize p95(duration_s), avg(steps) by machine_id",
        "runs | summarize cost = sum(cost_usd) by day = bin(started_at, 1d) | sort by day",
        #"transitions | where state == "awaiting_human" | summarize pauses = count(), waited = sum(duration_s) by run_id | top 10 by waited desc"#,
        #"events | where type == "step" and data.action.type == "type" | summarize count() by run_id"#,
        "runs | extend f = failure_reason | project run_id, f, c = cost_usd * 2 | take 3 | where c > 0.1",
        #"steps | where message contains "click" or action_type in ("type", "key") | sort by at desc nulls last"#,
        "runs | where duration_s between 1m and 2h | extend d = day(ended_at) | summarize dcount(machine_id) by d",
        "events | summarize n = countif(data.step > 2), m = max(received_at) by type | where n >= 0",
        "runs | summarize x = sum(steps) by machine_id | summarize max(x), p50(x)",
        "transitions | extend w = coalesce(duration_s, 0) | summarize avg(w), min(started_at) by state, task",
    ]

    static let words = [
        "runs", "steps", "events", "transitions", "where", "extend", "project", "summarize", "sort", "by", "take",
        "top", "asc", "desc", "nulls", "first", "last", "and", "or", "not", "in", "contains", "startswith",
        "between", "true", "false", "null", "state", "cost_usd", "duration_s", "started_at", "at", "run_id", "data",
        "steps", "machine_id", "type", "price_usd", "count()", "sum(", "avg(", "p95(", "bin(", "day(", "ago(7d)",
        "now()", "lower(", "len(", "coalesce(", "percentile(", "dcount(", "countif(", "1.5", "0", "-3",
        "9223372036854775807", "99999999999999999999", "90s", "5m", "7d", "2026-11-01", "2026-11-01T10:00:00Z",
        "\"failed\"", "'x'", "|", ",", "(", ")", "=", "==", "!=", "<", ">=", "+", "-", "*", "/", ".", "\n",
    ]

    @Test func randomAndMutatedQueriesGiveRowsOrAPositionedError() throws {
        let fixture = try QueryStore(SampleRuns.reportFixture())
        let seed: UInt64 = 0xF022_0007
        var random = SplitMix(seed: seed)
        var outcomes = (rows: 0, errors: 0)
        for index in 0..<5_000 {
            let query = index % 2 == 0 ? Self.randomQuery(&random) : Self.mutated(&random)
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

    /// Words of the language in random order: mostly errors, some valid queries.
    private static func randomQuery(_ random: inout SplitMix) -> String {
        var parts = [words[random.int(in: 0...3)]]
        for _ in 0..<random.int(in: 0...4) {
            parts.append("|")
            parts.append(words[random.int(in: 4...11)])
            for _ in 0..<random.int(in: 1...7) { parts.append(words[random.int(in: 0...words.count - 1)]) }
        }
        return parts.joined(separator: " ")
    }

    /// A valid query with one to three edits: a piece deleted, a word inserted, a piece repeated.
    private static func mutated(_ random: inout SplitMix) -> String {
        var text = Array(corpus[random.int(in: 0...corpus.count - 1)])
        for _ in 0..<random.int(in: 1...3) where !text.isEmpty {
            let start = random.int(in: 0...text.count - 1)
            let end = min(text.count, start + random.int(in: 1...6))
            switch random.int(in: 0...2) {
            case 0: text.removeSubrange(start..<end)
            case 1: text.insert(contentsOf: " " + words[random.int(in: 0...words.count - 1)] + " ", at: start)
            default: text.insert(contentsOf: text[start..<end], at: start)
            }
        }
        return String(text)
    }
}
