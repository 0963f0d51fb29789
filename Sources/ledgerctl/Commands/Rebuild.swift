// `ledgerctl rebuild`: drop every projection and recompute it from the stored events, in one
// transaction, with progress on stderr.

import ArgumentParser
import Foundation
import Ledger

struct Rebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute the runs, steps and transitions projections from the stored events.",
        discussion: """
            Replays every stored event in order through the same code that keeps the projections \
            current as events arrive, so the result is identical to what live appends built. Prices \
            are kept. Runs in one transaction: readers see the old projections until it commits.
            """
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let start = ContinuousClock.now
        let summary = try await store.openStore(.write).rebuild(progressInterval: 250_000) { applied, total in
            printStatus("rebuild: \(applied) of \(total) events…")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        printStatus(
            "rebuild: \(summary.runs) runs, \(summary.events) events, \(summary.steps) steps in "
                + String(format: "%.2f s", seconds))
    }
}
