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
            if there is any, 0 when the record is intact.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() async throws {
        let report = try await store.openStore().verify(progressInterval: 250_000) { checked in
            printStatus("verify: \(checked) events checked…")
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
