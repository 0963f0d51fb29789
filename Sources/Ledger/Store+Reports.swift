// Runs as the projection holds them, for callers that want typed rows rather than a query
// (the cost and failure reports are canned queries of the query language). Each read first
// catches the projections up, so it includes every stored event.

import GRDB

/// One run as the `runs` projection holds it. Times are UTC microseconds.
package struct RunRow: Sendable, Equatable {
    package var runID: String
    package var state: String?
    package var machineID: String?
    package var task: String?
    package var cuaVersion: String?
    package var steps: Int64
    package var cost: Money
    package var firstEventAt: Int64
    package var lastEventAt: Int64
    /// When the run first entered `running`.
    package var startedAt: Int64?
    /// When the run first entered a terminal state.
    package var endedAt: Int64?
    /// From `startedAt` to `endedAt`, when both are known.
    package var durationMicros: Int64?
    /// Time in ended `awaiting_human` intervals.
    package var awaitingHumanMicros: Int64
    /// Time in ended `queued` intervals.
    package var queueWaitMicros: Int64
    package var failureReason: String?
    /// The step count the latest `result` stated.
    package var reportedSteps: Int64?
    package var billingDiscrepancy: Bool
    package var events: Int64
    package var lastEventID: String
}

/// A half-open span of UTC microseconds, [since, until); nil ends are open.
package struct TimeWindow: Sendable, Equatable {
    package var since: Int64?
    package var until: Int64?

    package init(since: Int64? = nil, until: Int64? = nil) {
        self.since = since
        self.until = until
    }

    package static let all = TimeWindow()
}

/// Which runs `runs(_:)` lists.
package struct RunFilter: Sendable, Equatable {
    package var state: String?
    package var machineID: String?
    /// Selects runs by the time of their first event.
    package var window = TimeWindow.all
    /// Only failed, cancelled and timed-out runs.
    package var failedOnly = false
    /// Only runs flagged as billing discrepancies.
    package var discrepanciesOnly = false

    package init(
        state: String? = nil, machineID: String? = nil, window: TimeWindow = .all, failedOnly: Bool = false,
        discrepanciesOnly: Bool = false
    ) {
        self.state = state
        self.machineID = machineID
        self.window = window
        self.failedOnly = failedOnly
        self.discrepanciesOnly = discrepanciesOnly
    }
}

/// The terminal states `RunFilter.failedOnly` selects.
let failedStates = "('failed', 'cancelled', 'timed_out')"

extension LedgerStore {
    /// Runs matching `filter`, ordered by their first event's time, then run id.
    package func runs(_ filter: RunFilter = RunFilter()) throws -> [RunRow] {
        try catchUpProjections()
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let state = filter.state {
            conditions.append("r.state = ?")
            arguments += [state]
        }
        if let machine = filter.machineID {
            conditions.append("r.machine_id = ?")
            arguments += [machine]
        }
        conditions += windowConditions("r.first_event_at", filter.window, &arguments)
        if filter.failedOnly { conditions.append("r.state IN \(failedStates)") }
        if filter.discrepanciesOnly { conditions.append("r.billing_discrepancy = 1") }
        let sql =
            "SELECT \(runRowColumns) FROM runs r" + whereClause(conditions) + " ORDER BY r.first_event_at, r.run_id"
        return try read("listing runs") { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.runRow) }
    }

    /// One run's row, or nil when it has no events.
    package func run(_ runID: String) throws -> RunRow? {
        try catchUpProjections()
        return try read("reading run \(runID)") { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(runRowColumns) FROM runs r JOIN streams s ON s.run_key = r.run_key WHERE s.run_id = ?",
                arguments: [runID]
            ).map(Self.runRow)
        }
    }

    private static func runRow(_ row: Row) -> RunRow {
        RunRow(
            runID: row[0], state: row[1], machineID: row[2], task: row[3], cuaVersion: row[4], steps: row[5],
            cost: Money(micros: row[6]), firstEventAt: row[7], lastEventAt: row[8], startedAt: row[9],
            endedAt: row[10], durationMicros: row[11], awaitingHumanMicros: row[12], queueWaitMicros: row[13],
            failureReason: row[14], reportedSteps: row[15], billingDiscrepancy: row[16], events: row[17],
            lastEventID: row[18])
    }
}

private let runRowColumns = """
    r.run_id, r.state, r.machine_id, r.task, r.cua_version, r.steps, r.cost_micros, r.first_event_at, \
    r.last_event_at, r.started_at, r.ended_at, r.duration_us, r.awaiting_human_us, r.queue_wait_us, \
    r.failure_reason, r.reported_steps, r.billing_discrepancy, r.event_count, r.last_event_id
    """

private func windowConditions(_ column: String, _ window: TimeWindow, _ arguments: inout StatementArguments) -> [String]
{
    var conditions: [String] = []
    if let since = window.since {
        conditions.append("\(column) >= ?")
        arguments += [since]
    }
    if let until = window.until {
        conditions.append("\(column) < ?")
        arguments += [until]
    }
    return conditions
}

private func whereClause(_ conditions: [String]) -> String {
    conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
}
