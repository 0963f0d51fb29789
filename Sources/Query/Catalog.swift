// What a query can read: the four sources, their typed columns and the SQL each column reads.
// This file is the only place that names tables and columns of the store, so every identifier
// in generated SQL comes from here. Runs, steps and transitions read the projection tables.

/// The type of a column or expression; money, durations and times are stored as integers.
package enum ValueType: String, Sendable, Equatable, CaseIterable {
    case string, int, real, bool
    /// Micro-dollars; prints as dollars.
    case money
    /// Microseconds; prints as seconds.
    case duration
    /// UTC microseconds; prints as ISO 8601.
    case timestamp
    /// UTC microseconds at midnight; prints as `YYYY-MM-DD`.
    case date
    /// A value read from an event's JSON data: text, number, or 1/0 for true/false.
    case json
    /// The type of the literal `null`, which fits any other.
    case null

    var isNumber: Bool { self == .int || self == .real }
    /// Stored as integer microseconds since 1970.
    var isTime: Bool { self == .timestamp || self == .date }
}

/// One column of a source.
package struct Column: Sendable, Equatable {
    package var name: String
    package var type: ValueType
    /// The SQL that reads it, in terms of the source's alias and the joins it needs.
    var sql: String
    /// The joins `sql` needs, in the order they must appear.
    var joins: [String] = []
    /// A cheaper expression with the same grouping (the run key for `run_id`), used for `by`
    /// and `dcount` so they need no join.
    var identity: String?
    /// One line for `ledgerctl help query`.
    package var summary: String
}

/// A source a query starts from.
package struct Source: Sendable, Equatable {
    package var name: String
    /// The FROM clause, with the alias the columns use.
    var relation: String
    package var columns: [Column]
    package var summary: String
}

/// The sources and their columns.
package enum Catalog {
    /// The relation the `events` source reads: live and archived events alike, with their run ids.
    static let eventsRelation = "event_log"

    package static let sources = [runs, steps, events, transitions]

    package static func source(named name: String) -> Source? { sources.first { $0.name == name } }

    /// The run's id for a source whose rows carry a run key under `alias`.
    private static func runID(_ alias: String) -> Column {
        Column(
            name: "run_id", type: .string, sql: "rs.run_id",
            joins: ["JOIN streams rs ON rs.run_key = \(alias).run_key"],
            identity: "\(alias).run_key", summary: "the run's id")
    }

    /// A column of the run a row belongs to, for sources other than `runs`.
    private static func ofRun(_ name: String, _ column: String, _ alias: String, _ summary: String) -> Column {
        Column(
            name: name, type: .string, sql: "rr.\(column)", joins: ["JOIN runs rr ON rr.run_key = \(alias).run_key"],
            summary: summary)
    }

    static let runs = Source(
        name: "runs", relation: "runs r",
        columns: [
            Column(name: "run_id", type: .string, sql: "r.run_id", identity: "r.run_key", summary: "the run's id"),
            Column(name: "state", type: .string, sql: "r.state", summary: "the state it is in now"),
            Column(name: "machine_id", type: .string, sql: "r.machine_id", summary: "the machine it ran on"),
            Column(name: "task", type: .string, sql: "r.task", summary: "its task"),
            Column(name: "cua_version", type: .string, sql: "r.cua_version", summary: "v3 or v4"),
            Column(name: "steps", type: .int, sql: "r.steps", summary: "steps seen"),
            Column(name: "reported_steps", type: .int, sql: "r.reported_steps", summary: "steps its result stated"),
            Column(name: "cost_usd", type: .money, sql: "r.cost_micros", summary: "what its steps cost"),
            Column(name: "started_at", type: .timestamp, sql: "r.started_at", summary: "when it first entered running"),
            Column(name: "ended_at", type: .timestamp, sql: "r.ended_at", summary: "when it entered a terminal state"),
            Column(
                name: "first_event_at", type: .timestamp, sql: "r.first_event_at",
                summary: "the time of its first event"),
            Column(
                name: "last_event_at", type: .timestamp, sql: "r.last_event_at", summary: "the time of its last event"),
            Column(name: "last_step_at", type: .timestamp, sql: "r.last_step_at", summary: "the time of its last step"),
            Column(name: "duration_s", type: .duration, sql: "r.duration_us", summary: "from started_at to ended_at"),
            Column(
                name: "awaiting_human_s", type: .duration, sql: "r.awaiting_human_us",
                summary: "time spent awaiting a human"),
            Column(name: "queue_wait_s", type: .duration, sql: "r.queue_wait_us", summary: "time spent queued"),
            Column(
                name: "failure_reason", type: .string, sql: "r.failure_reason",
                summary: "why it failed, was cancelled or timed out"),
            Column(
                name: "billing_discrepancy", type: .bool, sql: "r.billing_discrepancy",
                summary: "its result stated other steps than seen"),
            Column(name: "events", type: .int, sql: "r.event_count", summary: "events stored"),
            Column(name: "last_event_id", type: .string, sql: "r.last_event_id", summary: "its last event's id"),
            Column(
                name: "complete", type: .bool, sql: "(rc.completed_at IS NOT NULL)", joins: [streamOfRun],
                summary: "its stream was confirmed complete: a resume after its last event brought nothing new"),
            Column(
                name: "completed_at", type: .timestamp, sql: "rc.completed_at", joins: [streamOfRun],
                summary: "when its stream was confirmed complete (null: still open)"),
        ],
        summary: "one row per run")

    /// The stream row of a run, for the completion columns of `runs`.
    private static let streamOfRun = "JOIN streams rc ON rc.run_key = r.run_key"

    static let steps = Source(
        name: "steps", relation: "steps st",
        columns: [
            runID("st"),
            Column(name: "step", type: .int, sql: "st.step", summary: "the step number the agent gave"),
            Column(name: "position", type: .int, sql: "st.position", summary: "its place in the run's stream"),
            Column(name: "at", type: .timestamp, sql: "st.at", summary: "its time (the event's ts)"),
            Column(name: "action_type", type: .string, sql: "st.action_type", summary: "click, type, scroll, …"),
            Column(name: "message", type: .string, sql: "st.message", summary: "what the agent said it did"),
            Column(name: "gap_s", type: .duration, sql: "st.gap_us", summary: "time since the run's previous step"),
            Column(name: "price_usd", type: .money, sql: "st.price_micros", summary: "the price in force at its time"),
            ofRun("machine_id", "machine_id", "st", "the run's machine"),
            ofRun("task", "task", "st", "the run's task"),
            ofRun("run_state", "state", "st", "the run's state now"),
        ],
        summary: "one row per step event")

    static let events = Source(
        name: "events", relation: "\(eventsRelation) e",
        columns: [
            Column(name: "run_id", type: .string, sql: "e.run_id", identity: "e.run_key", summary: "the run's id"),
            Column(name: "seq", type: .int, sql: "e.seq", summary: "its place among all stored events"),
            Column(name: "event_id", type: .string, sql: "e.event_id", summary: "its SSE id (or <last id>#n)"),
            Column(
                name: "type", type: .string, sql: "e.type",
                summary: "its SSE type as received (data.event holds the data's own)"),
            Column(name: "received_at", type: .timestamp, sql: "e.received_at", summary: "when it arrived"),
            Column(name: "data", type: .json, sql: "e.data", summary: "its data; data.a.b reads a JSON field"),
        ],
        summary: "one row per stored event, raw")

    static let transitions = Source(
        name: "transitions", relation: "transitions t",
        columns: [
            runID("t"),
            Column(name: "state", type: .string, sql: "t.state", summary: "the state entered"),
            Column(
                name: "position", type: .int, sql: "t.position", summary: "the entering event's place in the stream"),
            Column(name: "started_at", type: .timestamp, sql: "t.started_at", summary: "when it entered the state"),
            Column(name: "ended_at", type: .timestamp, sql: "t.ended_at", summary: "when it left (null: still in it)"),
            Column(name: "duration_s", type: .duration, sql: "t.duration_us", summary: "how long it stayed"),
            ofRun("machine_id", "machine_id", "t", "the run's machine"),
            ofRun("task", "task", "t", "the run's task"),
        ],
        summary: "one row per state a run entered")
}
