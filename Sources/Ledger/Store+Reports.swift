// The reports, answered from the projection tables: runs, cost, failures, billing discrepancies,
// one run's steps, state intervals and timeline. Each first catches the projections up, so it
// includes every stored event. Orderings are part of the contract and documented on each.

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

/// What `cost(by:)` groups steps by.
package enum CostGrouping: String, Sendable, CaseIterable {
    /// The run's id.
    case run
    /// The UTC date (`YYYY-MM-DD`) of the step's own time.
    case day
    case machine, state, task
}

/// Spend of one group.
package struct CostRow: Sendable, Equatable {
    /// The group's key; nil when the runs' machine, state or task is unknown.
    package var key: String?
    /// Runs with at least one step in the group.
    package var runs: Int
    package var steps: Int64
    package var cost: Money
}

/// What `failures(by:)` groups failed runs by.
package enum FailureGrouping: String, Sendable, CaseIterable {
    case reason, machine
}

/// Failed, cancelled and timed-out runs of one reason (and machine, when grouped by machine).
package struct FailureRow: Sendable, Equatable {
    package var failureReason: String
    package var machineID: String?
    package var runs: Int
    package var steps: Int64
    package var cost: Money
}

/// The terminal states `failures` and `--failed` cover.
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

    /// Spend per group, counting the steps whose own time is in `window`. Ordered by day for `.day`,
    /// otherwise by cost (highest first), then key, unknown keys last.
    package func cost(by grouping: CostGrouping, window: TimeWindow = .all) throws -> [CostRow] {
        try catchUpProjections()
        var arguments: StatementArguments = []
        let conditions = windowConditions("s.at", window, &arguments)
        let order = " ORDER BY cost DESC, key IS NULL, key"
        let sql: String
        switch grouping {
        case .day:
            let day = "(s.at - ((s.at % 86400000000) + 86400000000) % 86400000000) / 86400000000"
            sql =
                "SELECT \(day) AS day, count(DISTINCT s.run_key), count(*), sum(s.price_micros) FROM steps s"
                + whereClause(conditions) + " GROUP BY day ORDER BY day"
        case .run, .machine, .state, .task:
            let key = grouping == .run ? "r.run_id" : grouping == .machine ? "r.machine_id" : "r.\(grouping.rawValue)"
            let group = grouping == .run ? "r.run_key" : key
            if conditions.isEmpty {
                sql =
                    "SELECT \(key) AS key, count(*), sum(r.steps), sum(r.cost_micros) AS cost FROM runs r WHERE r.steps > 0"
                    + " GROUP BY \(group)" + order
            } else {
                sql =
                    "SELECT \(key) AS key, count(DISTINCT s.run_key), count(*), sum(s.price_micros) AS cost"
                    + " FROM steps s JOIN runs r ON r.run_key = s.run_key" + whereClause(conditions)
                    + " GROUP BY \(group)" + order
            }
        }
        return try read("reporting cost by \(grouping.rawValue)") { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let key: String? = if grouping == .day { Self.dayText(row[0]) } else { row[0] }
                return CostRow(key: key, runs: row[1], steps: row[2], cost: Money(micros: row[3]))
            }
        }
    }

    /// Failed, cancelled and timed-out runs with the steps and money spent on them. By reason:
    /// most runs first, then reason. By machine: machine (unknown last), then most runs, then reason.
    package func failures(by grouping: FailureGrouping = .reason) throws -> [FailureRow] {
        try catchUpProjections()
        let sql =
            switch grouping {
            case .reason:
                """
                SELECT failure_reason, NULL, count(*), sum(steps), sum(cost_micros) FROM runs
                WHERE state IN \(failedStates) GROUP BY failure_reason ORDER BY 3 DESC, 1
                """
            case .machine:
                """
                SELECT failure_reason, machine_id, count(*), sum(steps), sum(cost_micros) FROM runs
                WHERE state IN \(failedStates) GROUP BY machine_id, failure_reason
                ORDER BY machine_id IS NULL, machine_id, 3 DESC, 1
                """
            }
        return try read("reporting failures") { db in
            try Row.fetchAll(db, sql: sql).map {
                FailureRow(
                    failureReason: $0[0] ?? "unknown", machineID: $0[1], runs: $0[2], steps: $0[3],
                    cost: Money(micros: $0[4]))
            }
        }
    }

    /// The date `YYYY-MM-DD` of a day number since 1970-01-01.
    static func dayText(_ day: Int64) -> String {
        String(UTCTime.format(day * 86_400_000_000).prefix(10))
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
