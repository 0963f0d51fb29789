// `ledgerctl cost`: spend per run, day, machine, state or task from the step prices in the
// projections, and with --discrepancies the runs whose result disagrees with the steps seen.

import ArgumentParser
import Ledger

extension CostGrouping: ExpressibleByArgument {}

struct Cost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show spend per run, day, machine, state or task, or the runs with billing discrepancies.",
        discussion: """
            Columns: key, runs, steps, cost_usd. Each step costs the price in force at the step's \
            own time (see `ledgerctl prices`); --since/--until count the steps whose time is in \
            the window (UTC), and runs is the number of runs with steps in the group. --by day \
            keys are the UTC date of the step. Runs without steps do not appear. \
            Ordering: --by day by date; otherwise by cost_usd, highest first, then key, with \
            unknown keys (null) last.
            --discrepancies lists instead the runs whose result states a step count other than \
            the steps seen: run_id, state, machine_id, steps, reported_steps, cost_usd, ordered \
            like `ledgerctl runs` (--since/--until then select runs by their first event).
            """
    )

    @Option(help: "Group by run, day, machine, state or task.")
    var by: CostGrouping = .day

    @Flag(help: "List the runs flagged as billing discrepancies instead.")
    var discrepancies = false

    @OptionGroup var window: WindowOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() async throws {
        let ledger = try store.open()
        if discrepancies {
            output.print(
                Self.discrepancyReport(try ledger.runs(RunFilter(window: try window.window(), discrepanciesOnly: true)))
            )
        } else {
            output.print(Self.report(try ledger.cost(by: by, window: try window.window())))
        }
    }

    /// The `cost` report of design.md for `rows`.
    static func report(_ rows: [CostRow]) -> Report {
        Report(
            columns: ["key", "runs", "steps", "cost_usd"],
            rows: rows.map { [Cell($0.key), Cell($0.runs), .integer($0.steps), .money($0.cost)] })
    }

    /// The billing discrepancies report for `rows` (runs flagged as discrepancies).
    static func discrepancyReport(_ rows: [RunRow]) -> Report {
        Report(
            columns: ["run_id", "state", "machine_id", "steps", "reported_steps", "cost_usd"],
            rows: rows.map {
                [
                    .text($0.runID), Cell($0.state), Cell($0.machineID), .integer($0.steps), Cell($0.reportedSteps),
                    .money($0.cost),
                ]
            })
    }
}
