// The query benchmark: 2,000,000 events in 20,000 runs; each question asked through the query
// language (compile and run, as `ledgerctl query` does) and as hand-written SQL through the same
// read path, in the same run, checking both give the same rows; then, where python3 can import
// duckdb, the same questions in DuckDB over the same tables; last, the time to compile long `in` lists.

import Foundation
import Ledger
import Query

struct QueryBenchmark {
    var runs = 20_000
    /// Steps per run: with the state, message and result events, a run has about 100 events.
    var stepsPerRun = 90
    var seed: UInt64 = 7
    var repetitions = 5

    /// One question: the query, the hand-written SQLite answer, and DuckDB's.
    struct Question {
        var name: String
        var query: String
        var sql: String
        var arguments: [SQLValue] = []
        var duckdb: String
    }

    static let day = "86400000000"

    static let questions = [
        Question(
            name: "failed runs since a date, by reason",
            query:
                #"runs | where state == "failed" and started_at > 2027-01-01 | summarize runs = count(), cost = sum(cost_usd) by failure_reason | sort by cost desc"#,
            sql: """
                SELECT failure_reason, count(*), sum(cost_micros) AS cost FROM runs
                WHERE state = 'failed' AND started_at > ? GROUP BY failure_reason ORDER BY cost DESC
                """,
            arguments: [.integer(1_798_761_600_000_000)],
            duckdb: """
                SELECT failure_reason, count(*), sum(cost_micros) AS cost FROM runs
                WHERE state = 'failed' AND started_at > 1798761600000000 GROUP BY failure_reason ORDER BY cost DESC
                """),
        Question(
            name: "p95 duration and average steps by machine",
            query: "runs | summarize p95(duration_s), avg(steps) by machine_id",
            sql: """
                WITH ranked AS (
                    SELECT machine_id, duration_us,
                        row_number() OVER (PARTITION BY machine_id ORDER BY duration_us) AS rank,
                        count(*) OVER (PARTITION BY machine_id) AS n
                    FROM runs WHERE duration_us IS NOT NULL
                ),
                p95 AS (SELECT machine_id, duration_us FROM ranked WHERE rank = max(1, (95 * n + 99) / 100))
                SELECT a.machine_id, p95.duration_us, a.steps
                FROM (SELECT machine_id, avg(steps) AS steps FROM runs GROUP BY machine_id) a
                LEFT JOIN p95 ON p95.machine_id IS a.machine_id
                """,
            duckdb: "SELECT machine_id, quantile_disc(duration_us, 0.95), avg(steps) FROM runs GROUP BY machine_id"),
        Question(
            name: "cost by day of each step (cost --by day)",
            query: CannedReports.cost(by: .day).replacingOccurrences(of: "\n", with: " "),
            sql: """
                SELECT (at - ((at % \(day)) + \(day)) % \(day)) AS day, count(DISTINCT run_key), count(*),
                    sum(price_micros) FROM steps GROUP BY day ORDER BY day
                """,
            duckdb: """
                SELECT ("at" - (("at" % \(day)) + \(day)) % \(day)) AS day, count(DISTINCT run_key), count(*),
                    sum(price_micros) FROM steps GROUP BY day ORDER BY day
                """),
        Question(
            name: "ten longest queue waits",
            query:
                #"transitions | where state == "queued" | summarize waits = count(), waited = sum(duration_s) by run_id | top 10 by waited desc"#,
            sql: """
                SELECT s.run_id, count(*), sum(t.duration_us) AS waited FROM transitions t
                JOIN streams s ON s.run_key = t.run_key WHERE t.state = 'queued'
                GROUP BY t.run_key ORDER BY waited DESC LIMIT 10
                """,
            duckdb: """
                SELECT s.run_id, count(*), sum(t.duration_us) AS waited FROM transitions t
                JOIN streams s ON s.run_key = t.run_key WHERE t.state = 'queued'
                GROUP BY s.run_id ORDER BY waited DESC LIMIT 10
                """),
        Question(
            name: "typing steps per run, from the events' JSON",
            query: #"events | where type == "step" and data.action.type == "type" | summarize count() by run_id"#,
            sql: """
                SELECT s.run_id, count(*) FROM events e JOIN streams s ON s.run_key = e.run_key
                WHERE e.type = 'step' AND json_extract(e.data, '$.action.type') = 'type' GROUP BY e.run_key
                """,
            duckdb: """
                SELECT s.run_id, count(*) FROM events e JOIN streams s ON s.run_key = e.run_key
                WHERE e.type = 'step' AND json_extract_string(e.data, '$.action.type') = 'type' GROUP BY s.run_id
                """),
        Question(
            name: "one run's steps",
            query: #"steps | where run_id == "run-00012345" | project at, step, action_type, message"#,
            sql: """
                SELECT st.at, st.step, st.action_type, st.message FROM steps st
                JOIN streams s ON s.run_key = st.run_key WHERE s.run_id = ? ORDER BY st.position
                """,
            arguments: [.text("run-00012345")],
            duckdb: """
                SELECT st."at", st.step, st.action_type, st.message FROM steps st
                JOIN streams s ON s.run_key = st.run_key WHERE s.run_id = 'run-00012345' ORDER BY st.position
                """),
    ]

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try LedgerStore(path: directory.appendingPathComponent("query.sqlite").path)
        let streams = syntheticRuns(count: runs, steps: stepsPerRun, seed: seed)
        let total = streams.reduce(0) { $0 + $1.events.count }
        for call in wholeRunCalls(streams, eventsPerCall: 20_000) { try store.append(call, projections: .deferred) }
        try store.catchUpProjections()
        print(
            "query benchmark: \(total.formatted()) events in \(runs.formatted()) runs; best of \(repetitions) or more; "
                + "ratio = query language / hand-written SQL (target: at most 1.3)")
        var ledgerSeconds: [Double] = []
        for question in Self.questions {
            var queryRows: [[SQLValue]] = []
            var sqlRows: [[SQLValue]] = []
            let viaQuery = try best {
                let compiled = try QueryLanguage.compile(question.query)
                queryRows = try store.rows(sql: compiled.sql, arguments: compiled.arguments).rows
            }
            let viaSQL = try best { sqlRows = try store.rows(sql: question.sql, arguments: question.arguments).rows }
            let compile = try best { _ = try QueryLanguage.compile(question.query) }
            ledgerSeconds.append(viaQuery)
            let same = Self.sorted(queryRows) == Self.sorted(sqlRows)
            print(
                String(
                    format: "  %@ query %8.2f ms (compiling %.3f ms)  SQL %8.2f ms  ratio %.2f  %d rows, %@",
                    padded(question.name), viaQuery * 1000, compile * 1000, viaSQL * 1000,
                    viaQuery / max(viaSQL, 1e-9), queryRows.count, same ? "same rows" : "ROWS DIFFER"))
        }
        try DuckDBComparison(sqlitePath: store.path, directory: directory, repetitions: repetitions)
            .run(Self.questions.map(\.duckdb), ledgerSeconds: ledgerSeconds, names: Self.questions.map(\.name))
        try inListCompileTimes()
    }

    /// Compiling `in` lists of growing length, which must take linear time (it was quadratic:
    /// 18 s for 40,000 items, 486 s for 200,000).
    private func inListCompileTimes() throws {
        for count in [40_000, 200_000] {
            let query = "runs | where steps in (" + (0..<count).map(String.init).joined(separator: ", ") + ")"
            let seconds = try best { _ = try QueryLanguage.compile(query) }
            print(String(format: "  compiling an `in` list of %@ items: %.3f s", count.formatted(), seconds))
        }
    }

    /// The best wall time of `body`, in seconds: of `repetitions` runs, or more for a fast body
    /// (until half a second has passed), so sub-millisecond figures are not one noisy sample.
    private func best(_ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        var spent = 0.0
        var count = 0
        while count < repetitions || (spent < 0.5 && count < 2_000) {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            best = min(best, seconds)
            spent += seconds
            count += 1
        }
        return best
    }

    /// Rows in a fixed order, for comparing answers whose order the question leaves open.
    private static func sorted(_ rows: [[SQLValue]]) -> [String] { rows.map { "\($0)" }.sorted() }
}

/// `name` padded to one column width, so the figures line up.
func padded(_ name: String) -> String { name.padding(toLength: 44, withPad: " ", startingAt: 0) }
