// `ledgerctl compact --older-than 30d [--vacuum]`: move the raw events of old terminal runs into
// compressed archives, one transaction per run, with progress on stderr and a summary on stdout.

import ArgumentParser
import Foundation
import Ledger
import Synchronization

struct Compact: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compress the raw events of old, ended runs into one archive per run.",
        discussion: """
            Archives every run that has ended (succeeded, failed, cancelled or timed out) and whose \
            last event arrived longer ago than --older-than: its events move, in one transaction per \
            run, into a zlib archive kept with the SHA-256 of the stream and the chain head. Readers \
            see no difference: timeline, reports, query, verify and re-imports treat archived runs as \
            before. Safe to interrupt and to run again. A run whose stored events do not verify is \
            left live and named (exit 3). --vacuum rewrites the file afterwards so it shrinks now; from \
            then on, compactions give space back as they go. On PostgreSQL, --vacuum runs VACUUM on \
            the events (else autovacuum frees their rows later) and sizes are the database's.
            """
    )

    @Option(help: "Archive runs whose last event arrived longer ago than this: 30d, 12h, 90m, 0s.")
    var olderThan: String

    @Flag(help: "Give the space back now: rewrite the SQLite file (VACUUM), or VACUUM the events on PostgreSQL.")
    var vacuum = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard Duration(text: olderThan) != nil else {
            throw ValidationError("--older-than: expected a duration like 30d, 12h, 90m or 0s, got '\(olderThan)'")
        }
    }

    func run() async throws {
        let age = Duration(text: olderThan) ?? .zero
        let reported = Mutex(ContinuousClock.now)
        let summary = try await store.openStore(.write).archiveRuns(
            before: UTCTime.now() - age.microseconds, only: nil, reclaim: vacuum ? .vacuum : .incremental
        ) { sofar, candidates in
            let due = reported.withLock { last in
                guard ContinuousClock.now - last >= .milliseconds(500) || sofar.runs == candidates else { return false }
                last = ContinuousClock.now
                return true
            }
            guard due else { return }
            printStatus(
                "compact: \(sofar.runs)/\(candidates) runs, \(byteSize(sofar.rawBytes)) -> "
                    + "\(byteSize(sofar.archiveBytes))…")
        }
        for refused in summary.tooLarge {
            printError("run \(refused.runID) was not archived: \(refused.reason)")
        }
        for refused in summary.refused {
            printError("run \(refused.runID) was not archived: \(refused.reason); see `ledgerctl verify`")
        }
        if summary.runs == 0 {
            print("compacted 0 runs: no ended run's last event is older than \(olderThan)")
        } else {
            print(
                "compacted \(summary.runs) runs, \(summary.events) events: \(byteSize(summary.rawBytes)) of streams "
                    + "into \(byteSize(summary.archiveBytes)) of archives ("
                    + String(format: "%.1fx", Double(summary.rawBytes) / Double(max(1, summary.archiveBytes))) + ")")
        }
        let free =
            summary.freeBytesAfter > 0
            ? " (\(byteSize(summary.freeBytesAfter)) free inside, which later writes reuse; --vacuum gives it back now)"
            : ""
        let what = store.path == nil ? "database" : "database file"
        print("\(what): \(byteSize(summary.fileBytesBefore)) -> \(byteSize(summary.fileBytesAfter))\(free)")
        if !summary.refused.isEmpty { throw CommandExit(code: 3) }
    }
}

/// `bytes` in decimal kilo-, mega- or gigabytes, whichever reads best, for people.
private func byteSize<Count: BinaryInteger>(_ bytes: Count) -> String {
    let value = Double(bytes)
    if value < 1_000_000 { return String(format: "%.1f kB", value / 1_000) }
    if value < 1_000_000_000 { return String(format: "%.1f MB", value / 1_000_000) }
    return String(format: "%.2f GB", value / 1_000_000_000)
}
