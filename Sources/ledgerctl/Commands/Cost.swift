// `ledgerctl cost`: spend per run, day, machine, state or task from the step prices in the
// projections, and with --discrepancies the runs whose result disagrees with the steps seen;
// canned queries of the query language.

import ArgumentParser
import Query

extension CostGrouping: ExpressibleByArgument {}

struct Cost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show spend per run, day, machine, state or task, or the runs with billing discrepancies.",
        discussion: """
            Columns: key, runs, steps, cost_usd. Each step costs the price in force at the step's \
            own time (see `ledgerctl prices`); --since/--until count the steps whose time is in \
            the window (UTC), and runs is the number of runs with steps in the group. --by day \
            keys are the UTC date of the step. Runs without steps count too, with 0 steps and \
            $0.00: by day on the day they started, and with --since/--until when they started \
            in the window. \
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

    @Flag(help: "Print the query this report runs (see `ledgerctl help query`) and exit.")
    var showQuery = false

    func run() async throws {
        let window = try window.window()
        if discrepancies {
            let query = CannedReports.discrepancies(window: window)
            if showQuery { return print(query) }
            return try await QueryCommand.stream(query, on: try await store.openStore(), output)
        }
        if showQuery {
            print(CannedReports.cost(by: by, window: window))
            if let extra = CannedReports.runsWithoutSteps(by: by, window: window) {
                printStatus("cost also counts the runs without steps, which this query cannot see, from:\n" + extra)
            }
            return
        }
        output.print(Report(try await store.openStore().costRows(by: by, window: window)))
    }
}
