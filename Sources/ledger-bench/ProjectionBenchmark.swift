// The projection benchmark: append throughput with live projections against the same appends
// without them, the time to rebuild and to catch up, and `cost --by day` and `failures` from the
// projections against the same aggregates written by hand in SQL over the raw events.

import Foundation
import GRDB
import Ledger

struct ProjectionBenchmark {
    var runs = 20_000
    var eventsPerRun = 50
    var batchSize = 5_000
    /// Runs streamed at once in the interleaved shape.
    var concurrentRuns = 1_000
    var seed: UInt64 = 42

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let streams = makeRuns()
        let total = streams.reduce(0) { $0 + $1.events.count }
        print("projection benchmark: \(total.formatted()) events in \(runs.formatted()) runs, ~\(batchSize.formatted()) events per append")
        var liveStore: LedgerStore?
        for (shape, calls) in [("one run at a time", sequential(streams)), ("\(concurrentRuns.formatted()) runs interleaved", interleaved(streams))] {
            let name = shape.hasPrefix("one") ? "sequential" : "interleaved"
            let without = try LedgerStore(path: directory.appendingPathComponent("\(name)-deferred.sqlite").path)
            let withoutTime = try measure { for call in calls { try without.append(call, projections: .deferred) } }
            let live = try LedgerStore(path: directory.appendingPathComponent("\(name)-live.sqlite").path)
            let liveTime = try measure { for call in calls { try live.append(call) } }
            let withoutRate = Double(total) / withoutTime
            let liveRate = Double(total) / liveTime
            print(
                "  append, \(shape): without projections \(rate(withoutRate)) events/s, live \(rate(liveRate)) events/s "
                    + String(format: "(live projections cost %.1f%% of throughput)", (1 - liveRate / withoutRate) * 100))
            let catchUp = try measure { try without.catchUpProjections() }
            print(String(format: "  catch-up of the deferred store (first report after a bulk load): %.2f s", catchUp))
            liveStore = live
        }
        guard let store = liveStore else { return }
        let rebuild = try measure { try store.rebuildProjections() }
        print(String(format: "  rebuild: %.2f s (%@ events/s)", rebuild, rate(Double(total) / rebuild)))

        let raw = try DatabaseQueue(path: store.path)
        try compare("cost --by day", projected: { try store.cost(by: .day).map { "\($0.key ?? "-") \($0.runs) \($0.steps) \($0.cost.micros)" } }) {
            try raw.read { db in try Row.fetchAll(db, sql: handCostByDay).map { "\($0[0] as String) \($0[1] as Int) \($0[2] as Int) \($0[3] as Int64)" } }
        }
        try compare("failures", projected: { try store.failures().map { "\($0.failureReason) \($0.runs) \($0.steps) \($0.cost.micros)" } }) {
            try raw.read { db in try Row.fetchAll(db, sql: handFailures).map { "\($0[0] as String) \($0[1] as Int) \($0[2] as Int) \($0[3] as Int64)" } }
        }
    }

    /// Times the report from the projections and the hand-written SQL over raw events (best of
    /// three each) and checks that they give the same rows.
    private func compare(_ name: String, projected: () throws -> [String], raw: () throws -> [String]) throws {
        var projectedRows: [String] = []
        var rawRows: [String] = []
        let fast = try (0..<3).map { _ in try measure { projectedRows = try projected() } }.min() ?? 0
        let slow = try (0..<3).map { _ in try measure { rawRows = try raw() } }.min() ?? 0
        print(
            String(
                format: "  %@: projections %.1f ms, hand-written SQL over raw events %.1f ms (%.0fx), %d rows, %@",
                name, fast * 1000, slow * 1000, slow / max(fast, 1e-9), projectedRows.count,
                projectedRows == rawRows ? "same rows" : "ROWS DIFFER"))
    }

    private func measure(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func rate(_ value: Double) -> String { Int(value.rounded()).formatted() }

    private func makeRuns() -> [RunBatch] {
        let receivedAt = UTCTime.now()
        return (0..<runs).map { index in
            RunBatch(
                runID: String(format: "run-%08d", index),
                events: SyntheticStreams.run(index: index, seed: seed, steps: eventsPerRun - 4).enumerated().map {
                    offset, event in
                    RawEvent(eventID: event.id, type: event.type, data: event.data, receivedAt: receivedAt + Int64(offset))
                })
        }
    }

    /// Whole runs one after another, about `batchSize` events per append.
    private func sequential(_ streams: [RunBatch]) -> [[RunBatch]] {
        let perCall = max(1, batchSize / eventsPerRun)
        return stride(from: 0, to: streams.count, by: perCall).map { Array(streams[$0..<min($0 + perCall, streams.count)]) }
    }

    /// `concurrentRuns` runs at a time, each append carrying a few events of every one of them, as
    /// concurrent ingest produces them.
    private func interleaved(_ streams: [RunBatch]) -> [[RunBatch]] {
        let perRun = max(1, batchSize / concurrentRuns)
        var calls: [[RunBatch]] = []
        for start in stride(from: 0, to: streams.count, by: concurrentRuns) {
            let wave = streams[start..<min(start + concurrentRuns, streams.count)]
            for offset in stride(from: 0, to: eventsPerRun, by: perRun) {
                calls.append(
                    wave.compactMap { run in
                        guard offset < run.events.count else { return nil }
                        return RunBatch(runID: run.runID, events: Array(run.events[offset..<min(offset + perRun, run.events.count)]))
                    })
            }
        }
        return calls
    }
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
        SELECT run_key, seq, coalesce(json_extract(data, '$.event'), type) AS kind, json_extract(data, '$.state') AS state,
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
