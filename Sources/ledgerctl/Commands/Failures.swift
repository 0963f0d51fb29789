// `ledgerctl failures`: failed, cancelled and timed-out runs by reason (and machine), with the
// steps and money spent on them; a canned query of the query language.

import ArgumentParser
import Query

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

    @Flag(help: "Print the query this report runs (see `ledgerctl help query`) and exit.")
    var showQuery = false

    func run() async throws {
        let query = CannedReports.failures(by: by)
        if showQuery { return print(query) }
        try await QueryCommand.stream(query, on: try await store.openStore(), output)
    }
}
