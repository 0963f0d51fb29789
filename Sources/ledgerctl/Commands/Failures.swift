// `ledgerctl failures`: failed, cancelled and timed-out runs by reason (and machine), with the
// steps and money spent on them.

import ArgumentParser
import Ledger

extension FailureGrouping: ExpressibleByArgument {}

struct Failures: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show failed, cancelled and timed-out runs by reason, with the steps and money spent on them.",
        discussion: """
            Columns: failure_reason, runs, steps, cost_usd; --by machine adds machine_id first. \
            A run's reason is its result's error (the error's code when it is an object), else \
            its terminal state for cancelled and timed_out, else unknown. \
            Ordering: by runs, most first, then failure_reason; --by machine orders by machine_id \
            (unknown last), then runs, most first, then failure_reason.
            """
    )

    @Option(help: "Group by reason, or by machine and reason.")
    var by: FailureGrouping = .reason

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() async throws {
        output.print(Self.report(try store.open().failures(by: by), by: by))
    }

    /// The `failures` report of design.md for `rows` (with machine_id first when grouped by machine).
    static func report(_ rows: [FailureRow], by grouping: FailureGrouping = .reason) -> Report {
        let columns = ["failure_reason", "runs", "steps", "cost_usd"]
        let cells: (FailureRow) -> [Cell] = {
            [.text($0.failureReason), Cell($0.runs), .integer($0.steps), .money($0.cost)]
        }
        return switch grouping {
        case .reason: Report(columns: columns, rows: rows.map(cells))
        case .machine: Report(columns: ["machine_id"] + columns, rows: rows.map { [Cell($0.machineID)] + cells($0) })
        }
    }
}
