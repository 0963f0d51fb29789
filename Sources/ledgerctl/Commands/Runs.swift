// `ledgerctl runs`: one row per run from the runs projection, filtered by state, machine, time
// and failure, ordered by when each run was first seen; a canned query of the query language.

import ArgumentParser
import Query

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List runs: state, machine, task, steps, cost, start, end, duration, failure reason.",
        discussion: """
            Columns: run_id, state, machine_id, task, steps, cost_usd, started_at, ended_at, \
            duration_s, failure_reason, events, complete. started_at is when the run first entered running, \
            ended_at when it entered a terminal state, duration_s the time between them. \
            failure_reason is set for failed, cancelled and timed-out runs only. complete is true \
            once the run's stream was confirmed complete: the run is terminal and a resume after \
            its last stored event brought nothing new (--open lists the runs that are not). \
            --since/--until select runs by the time of their first event (UTC). \
            Ordered by the time of each run's first event, then run_id.
            """
    )

    static let states = ["queued", "running", "awaiting_human", "succeeded", "failed", "cancelled", "timed_out"]

    @Option(help: "Only runs in this state (\(states.joined(separator: ", "))).")
    var state: String?

    @Option(help: "Only runs on this machine.")
    var machine: String?

    @Flag(help: "Only failed, cancelled and timed-out runs.")
    var failed = false

    @Flag(help: "Only runs whose stream is not confirmed complete (`ledgerctl ingest --open` finishes them).")
    var open = false

    @OptionGroup var window: WindowOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if let state, !Self.states.contains(state) {
            throw ValidationError("--state: expected one of \(Self.states.joined(separator: ", ")), got '\(state)'")
        }
    }

    @Flag(help: "Print the query this report runs (see `ledgerctl help query`) and exit.")
    var showQuery = false

    func run() async throws {
        let query = CannedReports.runs(
            state: state, machine: machine, window: try window.window(), failedOnly: failed, openOnly: open)
        if showQuery { return print(query) }
        try await QueryCommand.stream(query, on: try await store.openStore(), output)
    }
}
