// The projection benchmark: append throughput with live projections against the same appends
// without them, the time to rebuild and to catch up, and `cost --by day` and `failures` (their
// canned queries over the projections) against the same aggregates written by hand in SQL over
// the raw events.

import Foundation
import GRDB
import Ingest
import Ledger
import Query

struct ProjectionBenchmark {
    var runs = 20_000
    /// Steps per run; with the state, message and result events a run has about 50 events.
    var stepsPerRun = 43
    /// Runs streamed at once in the interleaved shape.
    var concurrentRuns = 1_000
    var seed: UInt64 = 42

    /// Each shape's appends are repeated this many times, live and without alternating, on fresh
    /// stores; the best of each is reported, which keeps a busy machine's noise out of the ratio.
    var repetitions = 2

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let streams = syntheticRuns(count: runs, steps: stepsPerRun, seed: seed)
        let total = streams.reduce(0) { $0 + $1.events.count }
        print(
            "projection benchmark: \(total.formatted()) events in \(runs.formatted()) runs, "
                + "events per append (one transaction) as ingest gathers them, best of \(repetitions)")
        var store: LedgerStore?
        let wholeRunBatch = EventWriter.batchSize(streams: 1)
        let interleavedBatch = EventWriter.batchSize(streams: concurrentRuns)
        for (shape, calls) in [
            (
                "one run at a time, \(wholeRunBatch.formatted()) per append",
                wholeRunCalls(streams, eventsPerCall: wholeRunBatch)
            ),
            (
                "\(concurrentRuns.formatted()) runs interleaved, \(interleavedBatch.formatted()) per append",
                interleavedCalls(streams, runsAtOnce: concurrentRuns, eventsPerCall: interleavedBatch)
            ),
        ] {
            var without = Timing.worst
            var live = Timing.worst
            var catchUp = Timing.worst
            for round in 0..<repetitions {
                for mode in round % 2 == 0 ? [ProjectionMode.deferred, .live] : [.live, .deferred] {
                    let path = directory.appendingPathComponent("\(round)-\(mode).sqlite").path
                    let candidate = try LedgerStore(path: path)
                    let timing = try Timing.of { for call in calls { try candidate.append(call, projections: mode) } }
                    if mode == .live {
                        live = live.best(timing)
                        if let previous = store { try removeStore(at: previous.path) }
                        store = candidate
                    } else {
                        without = without.best(timing)
                        catchUp = catchUp.best(try Timing.of { try candidate.catchUpProjections() })
                        try removeStore(at: path)
                    }
                }
            }
            print(
                "  append, \(shape): without projections \(rate(total, without.wall)) events/s, "
                    + "live \(rate(total, live.wall)) events/s; live projections cost "
                    + percent(1 - without.wall / live.wall) + " of throughput ("
                    + percent(1 - without.cpu / live.cpu) + " counting CPU time only)")
            print(String(format: "  catch-up after the same appends without projections: %.2f s", catchUp.wall))
        }
        guard let store else { return }
        let rebuild = try Timing.of { try store.rebuildProjections() }
        print(String(format: "  rebuild: %.2f s (%@ events/s)", rebuild.wall, rate(total, rebuild.wall)))

        let raw = try DatabaseQueue(path: store.path)
        try compare(
            "cost --by day",
            projected: {
                try cannedRows(CannedReports.cost(by: .day), on: store).map { row in
                    let day = if case let .integer(micros) = row[0] { String(UTCTime.format(micros).prefix(10)) } else { "-" }
                    return ([day] + row.dropFirst().map(text)).joined(separator: " ")
                }
            }
        ) {
            try raw.read { db in
                try Row.fetchAll(db, sql: handCostByDay).map {
                    "\($0[0] as String) \($0[1] as Int) \($0[2] as Int) \($0[3] as Int64)"
                }
            }
        }
        try compare(
            "failures",
            projected: { try cannedRows(CannedReports.failures(), on: store).map { $0.map(text).joined(separator: " ") } }
        ) {
            try raw.read { db in
                try Row.fetchAll(db, sql: handFailures).map {
                    "\($0[0] as String) \($0[1] as Int) \($0[2] as Int) \($0[3] as Int64)"
                }
            }
        }
    }

    /// The rows of a canned report, run through the query language like `ledgerctl` runs it.
    private func cannedRows(_ query: String, on store: LedgerStore) throws -> [[SQLValue]] {
        let compiled = try QueryLanguage.compile(query)
        return try store.rows(sql: compiled.sql, arguments: compiled.arguments).rows
    }

    private func text(_ value: SQLValue) -> String {
        switch value {
        case let .integer(number): String(number)
        case let .text(text): text
        default: "-"
        }
    }

    private func removeStore(at path: String) throws {
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    /// Times the report from the projections and the hand-written SQL over raw events (best of
    /// three each) and checks that they give the same rows.
    private func compare(_ name: String, projected: () throws -> [String], raw: () throws -> [String]) throws {
        var projectedRows: [String] = []
        var rawRows: [String] = []
        let fast = try (0..<3).map { _ in try Timing.of { projectedRows = try projected() }.wall }.min() ?? 0
        let slow = try (0..<3).map { _ in try Timing.of { rawRows = try raw() }.wall }.min() ?? 0
        print(
            String(
                format: "  %@: projections %.1f ms, hand-written SQL over raw events %.1f ms (%.0fx), %d rows, %@",
                name, fast * 1000, slow * 1000, slow / max(fast, 1e-9), projectedRows.count,
                projectedRows == rawRows ? "same rows" : "ROWS DIFFER"))
    }

    private func rate(_ events: Int, _ seconds: Double) -> String {
        Int((Double(events) / seconds).rounded()).formatted()
    }

    private func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }
}

/// Elapsed and CPU seconds (user and system, this process) of one measured body.
struct Timing {
    var wall: Double
    var cpu: Double

    static let worst = Timing(wall: .infinity, cpu: .infinity)

    static func of(_ body: () throws -> Void) throws -> Timing {
        let cpuStart = cpuSeconds()
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Timing(
            wall: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            cpu: cpuSeconds() - cpuStart)
    }

    func best(_ other: Timing) -> Timing { Timing(wall: min(wall, other.wall), cpu: min(cpu, other.cpu)) }

    private static func cpuSeconds() -> Double { Double(clock()) / Double(CLOCKS_PER_SEC) }
}

/// Spend per UTC day of the step's `ts` (else its arrival), at the default price of $0.05.
private let handCostByDay = """
    SELECT substr(coalesce(json_extract(data, '$.ts'), strftime('%Y-%m-%d', received_at / 1000000, 'unixepoch')), 1, 10)
            AS day,
        count(DISTINCT run_key), count(*), count(*) * 50000
    FROM events WHERE coalesce(json_extract(data, '$.event'), type) = 'step'
    GROUP BY day ORDER BY day
    """

/// Failed, cancelled and timed-out runs by reason with their steps and spend at $0.05 a step:
/// each run's last state, its last result's error (code or text) and its step count.
private let handFailures = """
    WITH facts AS MATERIALIZED (
        SELECT run_key, seq, coalesce(json_extract(data, '$.event'), type) AS kind,
            json_extract(data, '$.state') AS state,
            CASE json_type(data, '$.result.error')
                WHEN 'object' THEN json_extract(data, '$.result.error.code')
                WHEN 'text' THEN json_extract(data, '$.result.error')
            END AS error
        FROM events
    ),
    last_state AS (SELECT run_key, max(seq), state FROM facts WHERE state IS NOT NULL GROUP BY run_key),
    last_result AS (SELECT run_key, max(seq), error FROM facts WHERE kind = 'result' GROUP BY run_key),
    run_steps AS (SELECT run_key, count(*) AS steps FROM facts WHERE kind = 'step' GROUP BY run_key)
    SELECT coalesce(nullif(r.error, ''), CASE s.state WHEN 'failed' THEN 'unknown' ELSE s.state END) AS reason,
        count(*), sum(coalesce(t.steps, 0)), sum(coalesce(t.steps, 0)) * 50000
    FROM last_state s LEFT JOIN last_result r USING (run_key) LEFT JOIN run_steps t USING (run_key)
    WHERE s.state IN ('failed', 'cancelled', 'timed_out')
    GROUP BY reason ORDER BY 2 DESC, 1
    """
