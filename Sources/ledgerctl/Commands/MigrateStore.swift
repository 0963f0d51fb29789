// `ledgerctl migrate-store --from FILE.sqlite --to postgres://…`: copy a store, every run's events
// (archived ones included) with their chains, then check the copy. Progress on stderr. Safe to
// interrupt and run again: what was copied stays, and the copy goes on from there.

import ArgumentParser
import Foundation
import Ledger
import LedgerPostgres

struct MigrateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy a store (a SQLite file) into another (PostgreSQL), chains intact, and verify the copy.",
        discussion: """
            Copies every run's events in stream order with their arrival times, archived runs \
            included, so each run's hash chain in the copy is hash for hash the source's; runs the \
            source keeps archived are then archived in the copy too. Appends are idempotent: run \
            the same command again after an interruption and runs already copied are skipped. Then \
            checks every run's event count, chain head, resume point and archiving against the \
            source and recomputes every chain in the copy (as `verify` does).
            Exit status: 0 when the copy matches, 3 when it does not.
            """
    )

    @Option(help: "The store to copy: a SQLite file (or a PostgreSQL URL).")
    var from: String

    @Option(help: "The store to copy into: postgres://user@host:port/database (or a SQLite file).")
    var to: String

    func validate() throws {
        if from == to { throw ValidationError("--from and --to name the same store") }
    }

    func run() async throws {
        let source = try await openStore(at: from, access: .read)
        let target = try await openStore(at: to, access: .create)
        let start = ContinuousClock.now
        var lastPrint = start
        let summary = try await StoreCopy.copy(from: source, to: target) { done, runs, events in
            let now = ContinuousClock.now
            guard now - lastPrint >= .seconds(1) || done == runs else { return }
            lastPrint = now
            printStatus("migrate-store: \(done)/\(runs) runs, \(events) events copied")
        }
        printStatus(
            "migrate-store: \(summary.runs) runs (\(summary.runsSkipped) already copied), "
                + "\(summary.stored.new) events stored, \(summary.stored.duplicate) already there")
        let archived = try await StoreCopy.archive(like: source, in: target) { sofar, runs in
            if sofar.runs % 100 == 0 || sofar.runs == runs {
                printStatus("migrate-store: archiving \(sofar.runs)/\(runs) runs as the source keeps them…")
            }
        }
        for refused in archived.refused { printError("run \(refused.runID) was not archived: \(refused.reason)") }
        printStatus("migrate-store: \(archived.runs) runs archived as in the source; checking the copy…")
        let mismatches = try await StoreCopy.mismatches(between: source, and: target)
        for mismatch in mismatches { printError("run \(mismatch.runID): \(mismatch.detail)") }
        let report = try await target.verify(progressInterval: 250_000) { checked in
            printStatus("migrate-store: verify: \(checked) events checked…")
        }
        // Conflicts are the source's own, copied on purpose; anything else is the copy's fault.
        let broken = report.problems.filter { $0.kind != .conflict }
        for problem in broken { printError("run \(problem.runID): \(problem.kind.rawValue): \(problem.detail)") }
        guard mismatches.isEmpty, broken.isEmpty else {
            printStatus("migrate-store: FAILED: the copy differs from the source in \(mismatches.count + broken.count) run(s)")
            throw CommandExit(code: 3)
        }
        let elapsed = ContinuousClock.now - start
        printStatus(
            "migrate-store: copy verified: \(report.runs) runs, \(report.events) events, every chain intact "
                + "(\(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))))")
    }
}
