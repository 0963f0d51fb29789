// Helpers for the projection, price and report tests: a builder that writes a run's events the
// way Coasty sends them, and a dump of every projection row for comparing two stores.

import Foundation
import GRDB
import Ledger

/// Writes one run's events in stream order: ids 1, 2, …, each `spacing` after the previous one.
struct RunScript {
    private(set) var events: [RawEvent] = []
    var time: Int64
    var spacing: Int64

    init(start: String = "2026-11-02T09:00:00Z", spacing: Int64 = 1_000_000) {
        time = UTCTime.parse(start) ?? 0
        self.spacing = spacing
    }

    /// `{"event":"state","state":…}` plus `extra` members (JSON text such as `"machine_id":"m-1"`).
    mutating func state(_ state: String, _ extra: String = "") {
        add("state", #"{"event":"state","state":"\#(state)"\#(extra.isEmpty ? "" : "," + extra),"ts":"\#(ts)"}"#)
    }

    mutating func step(_ number: Int, action: String = "click", message: String = "Clicked a button") {
        add(
            "step",
            #"{"event":"step","state":"running","step":\#(number),"message":"\#(message)","action":{"type":"\#(action)","x":1},"ts":"\#(ts)"}"#
        )
    }

    mutating func message(_ text: String) {
        add("message", #"{"event":"message","message":"\#(text)","ts":"\#(ts)"}"#)
    }

    /// A result stating `steps` steps, with `error` as JSON text.
    mutating func result(_ state: String, steps: Int, error: String = "null") {
        add(
            "result",
            #"{"event":"result","state":"\#(state)","result":{"success":\#(state == "succeeded"),"error":\#(error),"steps":\#(steps)},"ts":"\#(ts)"}"#
        )
    }

    /// An event with any SSE type and data, arriving at the current time.
    mutating func add(_ type: String, _ data: String) {
        events.append(RawEvent(eventID: "\(events.count + 1)", type: type, data: data, receivedAt: time))
        time += spacing
    }

    /// Skips `seconds` of simulated time.
    mutating func wait(_ seconds: Int64) { time += seconds * 1_000_000 }

    private var ts: String { UTCTime.format(time) }

    /// A whole run: queued on `machine`, running, `steps` steps, then `ending` with a result.
    static func run(
        machine: String = "m-1", task: String = "refund", steps: Int, ending: String = "succeeded",
        reportedSteps: Int? = nil, error: String = "null", start: String = "2026-11-02T09:00:00Z"
    ) -> [RawEvent] {
        var script = RunScript(start: start)
        script.state("queued", #""machine_id":"\#(machine)","task":"\#(task)","cua_version":"v4""#)
        script.state("running")
        for number in stride(from: 1, through: steps, by: 1) { script.step(number) }
        script.state(ending)
        script.result(ending, steps: reportedSteps ?? steps, error: error)
        return script.events
    }
}

/// Every projection row of a store, keyed so that two stores with the same runs' events compare
/// equal however the events were delivered: by run id and position, never by seq or run_key.
struct ProjectionDump: Equatable, CustomStringConvertible {
    var runs: [[String]]
    var steps: [[String]]
    var transitions: [[String]]

    init(path: String) throws {
        let queue = try DatabaseQueue(path: path)
        func rows(_ sql: String) throws -> [[String]] {
            try queue.read { db in
                try Row.fetchAll(db, sql: sql).map { row in
                    row.databaseValues.map { String.fromDatabaseValue($0) ?? $0.description }
                }
            }
        }
        runs = try rows(
            """
            SELECT run_id, state, machine_id, task, cua_version, first_event_at, last_event_at, started_at, ended_at,
                duration_us, awaiting_human_us, queue_wait_us, steps, cost_micros, reported_steps, billing_discrepancy,
                failure_reason, result_error, last_step_at, state_position, state_since, event_count, last_event_id
            FROM runs ORDER BY run_id
            """)
        steps = try rows(
            """
            SELECT r.run_id, s.position, s.step, s.at, s.action_type, s.message, s.gap_us, s.price_micros
            FROM steps s JOIN runs r USING (run_key) ORDER BY r.run_id, s.position
            """)
        transitions = try rows(
            """
            SELECT r.run_id, t.position, t.state, t.started_at, t.ended_at, t.duration_us
            FROM transitions t JOIN runs r USING (run_key) ORDER BY r.run_id, t.position
            """)
    }

    var description: String {
        "runs:\n" + runs.map { $0.joined(separator: "|") }.joined(separator: "\n")
            + "\nsteps: \(steps.count), transitions:\n"
            + transitions.map { $0.joined(separator: "|") }.joined(separator: "\n")
    }
}

/// Every projection row exactly as stored, seq and run_key included.
func rawProjectionRows(path: String) throws -> [[String]] {
    try DatabaseQueue(path: path).read { db in
        try [
            "SELECT * FROM runs ORDER BY run_key", "SELECT * FROM steps ORDER BY seq",
            "SELECT * FROM transitions ORDER BY seq",
        ]
        .flatMap { sql in try Row.fetchAll(db, sql: sql).map { $0.databaseValues.map(\.description) } }
    }
}
