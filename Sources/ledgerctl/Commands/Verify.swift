// `ledgerctl verify`: recompute every run's hash chain, archives included, and report what does not hold.
// Exit 0 when the record is intact, 3 when anything was found.

import ArgumentParser
import Ledger

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every run's hash chain and report tampering and conflicts.",
        discussion: """
            Recomputes each run's SHA-256 chain from its stored events and names the first bad \
            record of each run; an archived run's chain starts in its archive, which is decompressed \
            and checked against its SHA-256, its key rows and its recorded head (problem \
            corrupt_archive). Also lists redeliveries that conflicted with a stored event. \
            Prints one row per problem (run_id, event_id, position, problem, detail) and exits 3 \
            if there is any, 0 when the record is intact. Also says how many runs are open (their \
            stream not confirmed complete), which is not a failure.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() async throws {
        let ledger = try await store.openStore()
        let report = try await ledger.verify(progressInterval: 250_000) { checked in
            printStatus("verify: \(checked) events checked…")
        }
        let open = try await ledger.streams().count { !$0.isComplete }
        if open > 0 {
            printStatus(
                "verify: \(open) of \(report.runs) runs open (not confirmed complete; `ledgerctl runs --open` lists "
                    + "them, `ledgerctl ingest --open` finishes them)")
        }
        if report.isIntact {
            printStatus("verify: \(report.runs) runs, \(report.events) events: intact")
            return
        }
        output.print(
            Report(
                columns: ["run_id", "event_id", "position", "problem", "detail"],
                rows: report.problems.map {
                    [.text($0.runID), Cell($0.eventID), Cell($0.position.map(Int64.init)), .text($0.kind.rawValue), .text($0.detail)]
                }))
        let runs = Set(report.problems.map(\.runID)).count
        printStatus(
            "verify: FAILED: \(report.problems.count) problem(s) in \(runs) run(s) "
                + "(\(report.runs) runs, \(report.events) events checked)")
        throw CommandExit(code: 3)
    }
}
