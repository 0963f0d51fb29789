// Queries for the tests that run many: a corpus of valid ones, and seeded random queries made
// of the language's words or of corpus queries with a few edits (mostly errors, some valid).

/// Valid queries and random ones.
package enum QueryCorpus {
    package static let corpus = [
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

    package static let words = [
        "runs", "steps", "events", "transitions", "where", "extend", "project", "summarize", "sort", "by", "take",
        "top", "asc", "desc", "nulls", "first", "last", "and", "or", "not", "in", "contains", "startswith",
        "between", "true", "false", "null", "state", "cost_usd", "duration_s", "started_at", "at", "run_id", "data",
        "steps", "machine_id", "type", "price_usd", "count()", "sum(", "avg(", "p95(", "bin(", "day(", "ago(7d)",
        "now()", "lower(", "len(", "coalesce(", "percentile(", "dcount(", "countif(", "1.5", "0", "-3",
        "9223372036854775807", "99999999999999999999", "90s", "5m", "7d", "2026-11-01", "2026-11-01T10:00:00Z",
        "\"failed\"", "'x'", "|", ",", "(", ")", "=", "==", "!=", "<", ">=", "+", "-", "*", "/", ".", "\n",
    ]

    /// The `index`-th query of a seeded sequence: random words for even indexes, a mutated
    /// corpus query for odd ones.
    package static func query(_ index: Int, _ random: inout SplitMix) -> String {
        index % 2 == 0 ? randomQuery(&random) : mutated(&random)
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
