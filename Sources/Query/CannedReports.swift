// The canned reports of design.md (runs, cost, failures, billing discrepancies) written in the
// query language, so `ledgerctl` runs them like any query and `--show-query` gives a user the
// text to start from. Each keeps the ordering design.md documents for its report.

import Ledger

/// What `cost` groups steps by.
package enum CostGrouping: String, Sendable, CaseIterable {
    /// The run's id.
    case run
    /// The UTC date (`YYYY-MM-DD`) of the step's own time.
    case day
    case machine, state, task
}

/// What `failures` groups failed runs by.
package enum FailureGrouping: String, Sendable, CaseIterable {
    case reason, machine
}

/// The canned reports as query text.
package enum CannedReports {
    /// The terminal states `failures` and `runs --failed` cover.
    package static let failedStates = ["failed", "cancelled", "timed_out"]

    /// `ledgerctl runs`: runs matching the filters (`window` on the first event's time; `openOnly`:
    /// those whose stream is not confirmed complete), ordered by their first event's time, then run id.
    package static func runs(
        state: String? = nil, machine: String? = nil, window: TimeWindow = .all, failedOnly: Bool = false,
        openOnly: Bool = false
    )
        -> String
    {
        var stages = window.stages(on: "first_event_at")
        if let state { stages.append("where state == \(literal(state))") }
        if let machine { stages.append("where machine_id == \(literal(machine))") }
        if failedOnly { stages.append("where state in (\(failedStates.map(literal).joined(separator: ", ")))") }
        if openOnly { stages.append("where not complete") }
        stages += [
            "sort by first_event_at asc, run_id asc",
            "project run_id, state, machine_id, task, steps, cost_usd, started_at, ended_at, duration_s, "
                + "failure_reason, events, complete",
        ]
        return pipeline("runs", stages)
    }

    /// `ledgerctl cost --discrepancies`: runs whose result stated other steps than seen, ordered like `runs`.
    package static func discrepancies(window: TimeWindow = .all) -> String {
        pipeline(
            "runs",
            window.stages(on: "first_event_at") + [
                "where billing_discrepancy",
                "sort by first_event_at asc, run_id asc",
                "project run_id, state, machine_id, steps, reported_steps, cost_usd",
            ])
    }

    /// `ledgerctl cost`: spend per group, counting the steps whose own time is in `window`.
    /// By day: ordered by date. Otherwise by cost, highest first, then key, unknown keys last.
    /// Without a window (and not by day) it reads the runs' totals instead of every step, runs
    /// without steps included; otherwise `runsWithoutSteps(by:window:)` adds those.
    package static func cost(by grouping: CostGrouping, window: TimeWindow = .all) -> String {
        let order = "sort by cost_usd desc, key asc nulls last"
        if grouping != .day, window == .all {
            return pipeline(
                "runs",
                [
                    "summarize runs = count(), steps = sum(steps), cost_usd = sum(cost_usd) by key = \(runsKey(grouping))",
                    order,
                ])
        }
        let key: String =
            switch grouping {
            case .day: "day(at)"
            case .run: "run_id"
            case .machine: "machine_id"
            case .state: "run_state"
            case .task: "task"
            }
        return pipeline(
            "steps",
            window.stages(on: "at") + [
                "summarize runs = dcount(run_id), steps = count(), cost_usd = sum(price_usd) by key = \(key)",
                grouping == .day ? "sort by key asc" : order,
            ])
    }

    /// The runs without steps that `cost(by:window:)` cannot see when it reads the steps source,
    /// grouped like it (by day, on the day the run started; `window` on the run's first event), or
    /// nil when it reads the runs source and counts them itself. `CostReport` merges the two.
    package static func runsWithoutSteps(by grouping: CostGrouping, window: TimeWindow = .all) -> String? {
        guard grouping == .day || window != .all else { return nil }
        return pipeline(
            "runs",
            window.stages(on: "first_event_at") + [
                "where steps == 0",
                "summarize runs = count(), steps = sum(steps), cost_usd = sum(cost_usd) by key = \(runsKey(grouping))",
            ])
    }

    /// The group key of a cost grouping over the runs source (a run counts on the day it started).
    private static func runsKey(_ grouping: CostGrouping) -> String {
        switch grouping {
        case .day: "day(first_event_at)"
        case .run: "run_id"
        case .machine: "machine_id"
        case .state: "state"
        case .task: "task"
        }
    }

    /// `ledgerctl failures`: failed, cancelled and timed-out runs. By reason: most runs first, then
    /// reason. By machine: machine (unknown last), then most runs, then reason.
    package static func failures(by grouping: FailureGrouping = .reason) -> String {
        let filter = "where state in (\(failedStates.map(literal).joined(separator: ", ")))"
        let totals = "runs = count(), steps = sum(steps), cost_usd = sum(cost_usd)"
        return switch grouping {
        case .reason:
            pipeline(
                "runs", [filter, "summarize \(totals) by failure_reason", "sort by runs desc, failure_reason asc"])
        case .machine:
            pipeline(
                "runs",
                [
                    filter, "summarize \(totals) by machine_id, failure_reason",
                    "sort by machine_id asc nulls last, runs desc, failure_reason asc",
                ])
        }
    }

    private static func pipeline(_ source: String, _ stages: [String]) -> String {
        ([source] + stages).joined(separator: "\n| ")
    }

    /// `text` as a string literal of the language.
    package static func literal(_ text: String) -> String {
        var quoted = "\""
        for character in text {
            switch character {
            case "\\": quoted += "\\\\"
            case "\"": quoted += "\\\""
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            default: quoted.append(character)
            }
        }
        return quoted + "\""
    }

    /// A time literal of the language, to the microsecond.
    package static func literal(time micros: Int64) -> String {
        let text = UTCTime.format(micros)
        let extra = ((micros % 1_000) + 1_000) % 1_000
        guard extra != 0 else { return text }
        let digits = String(extra)
        return text.dropLast() + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}

extension TimeWindow {
    /// `where column >= since` and `where column < until`, for the ends that are set.
    fileprivate func stages(on column: String) -> [String] {
        (since.map { ["where \(column) >= \(CannedReports.literal(time: $0))"] } ?? [])
            + (until.map { ["where \(column) < \(CannedReports.literal(time: $0))"] } ?? [])
    }
}
