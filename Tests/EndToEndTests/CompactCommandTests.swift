// `ledgerctl compact` and `stats` end to end: every report prints the same bytes before and after
// compaction, re-importing an archived run adds nothing, a compaction killed at a random moment
// and run again leaves a store that verifies, and a flipped byte in an archive is named by verify.

import CoastySim
import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct CompactCommandTests {
    let scratch: ScratchDirectory
    let db: String

    init() throws {
        scratch = try ScratchDirectory()
        db = scratch.path("ledger.sqlite")
    }

    /// The reports and queries compaction must not change, each printed in every format. The
    /// queries over events read archived data through `event_log`.
    private func reports(_ runs: [String]) -> [[String]] {
        [
            ["runs"], ["cost", "--by", "run"], ["cost", "--by", "day"], ["cost", "--by", "machine"],
            ["cost", "--by", "state"], ["cost", "--by", "task"], ["failures"], ["verify"],
            ["timeline", runs[0]], ["timeline", runs[1], "--gaps"], ["timeline", runs[2], "--last", "4"],
            ["query", "events | summarize events = count(), runs = dcount(run_id) by type | sort by type"],
            ["query", "events | where type == \"step\" and data.action.type == \"type\" | summarize count() by run_id | sort by run_id"],
            ["query", "events | where run_id == \"\(runs[3])\" | project seq, event_id, type, received_at, data | sort by seq"],
            ["query", "steps | where run_id == \"\(runs[4])\" | project at, step, action_type, message, price_usd | sort by at"],
            ["query", "transitions | summarize n = count(), waited = sum(duration_s) by state | sort by state"],
        ]
    }

    /// What each report printed (status, stdout) in each of `formats`, keyed by its command line.
    private func printed(_ commands: [[String]], formats: [String] = ["table", "json", "csv", "ndjson"])
        async throws -> [String: String]
    {
        var outputs: [String: String] = [:]
        try await withThrowingTaskGroup(of: (String, String).self) { group in
            for command in commands {
                for format in formats {
                    let arguments = command + ["--db", db, "--format", format]
                    group.addTask {
                        let result = try await ledgerctl(arguments)
                        return (arguments.joined(separator: " "), "exit \(result.status)\n\(result.stdout)")
                    }
                }
            }
            for try await (command, output) in group { outputs[command] = output }
        }
        return outputs
    }

    @Test func everyReportPrintsTheSameBytesAfterCompaction() async throws {
        let runs = try await storeSimulatedRuns(runs: 24, steps: 3...25, seed: 21, db: db)
        let commands = reports(runs)
        let before = try await printed(commands)
        #expect(before.values.allSatisfy { $0.hasPrefix("exit 0\n") })

        let compact = try await ledgerctl(["compact", "--older-than", "30d", "--db", db])
        #expect(compact.status == 0, "\(compact.stderr)")
        #expect(compact.stdout.contains("compacted 24 runs"), "\(compact.stdout)")
        #expect(compact.stderr.contains("compact: 24/24 runs"))
        let after = try await printed(commands)
        for command in before.keys.sorted() {
            #expect(after[command] == before[command], "\(command) printed something else after compaction")
        }

        let stats = try await ledgerctl(["stats", "--db", db, "--format", "json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [[String: Any]])
        let values = Dictionary(
            uniqueKeysWithValues: rows.compactMap { row in (row["stat"] as? String).map { ($0, row["value"]) } })
        #expect(values["runs_archived"] as? Int == 24)
        #expect(values["events_live"] as? Int == 0)
        #expect((values["events_archived"] as? Int ?? 0) > 24 * 5)
        #expect(values["bytes.archives"] is Int)
    }

    @Test func reimportingAnArchivedRunAddsNothingAndStillReportsConflicts() async throws {
        let transcript = examplesURL.appendingPathComponent("refund-run.sse").path
        #expect(try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db]).status == 0)
        let compact = try await ledgerctl(["compact", "--older-than", "0s", "--db", db])
        #expect(compact.stdout.contains("compacted 1 runs, 15 events"), "\(compact.stdout)")

        let again = try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("0 new, 15 duplicate, 0 conflicting"), "\(again.stdout)")

        let changed = scratch.path("changed.sse")
        try String(contentsOfFile: transcript, encoding: .utf8).replacingOccurrences(of: "612.40", with: "6.40")
            .write(toFile: changed, atomically: true, encoding: .utf8)
        let conflicting = try await ledgerctl(["import", changed, "--run", "run-refund", "--db", db])
        #expect(conflicting.stdout.contains("0 new, 14 duplicate, 1 conflicting"), "\(conflicting.stdout)")
        let verify = try await ledgerctl(["verify", "--db", db, "--format", "csv"])
        #expect(verify.status == 3)
        #expect(verify.stdout.contains("run-refund,14,,conflict"), "\(verify.stdout)")
    }

    @Test func compactionKilledAtARandomMomentFinishesWhenRunAgain() async throws {
        let runs = try await storeSimulatedRuns(runs: 300, steps: 3...12, seed: 22, db: db)
        let commands = [["runs"], ["timeline", runs[299]]]
        let before = try await printed(commands, formats: ["csv"])

        let (process, _, _) = try startLedgerctl(["compact", "--older-than", "30d", "--db", db])
        let delay = Int.random(in: 0...100)
        try await killAfterFirstArchive(process, delay: .milliseconds(delay))
        #expect(process.terminationReason == .uncaughtSignal, "compact finished before it could be killed")
        let archived = try archivedRuns()
        #expect(archived < 300, "killed \(delay) ms after the first archive")

        let verifyKilled = try await ledgerctl(["verify", "--db", db])
        #expect(verifyKilled.status == 0, "after a kill with \(archived) runs archived: \(verifyKilled.stdout)")
        let rerun = try await ledgerctl(["compact", "--older-than", "30d", "--db", db])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("compacted \(300 - archived) runs"), "\(rerun.stdout)")
        #expect(try archivedRuns() == 300)
        #expect(try await ledgerctl(["verify", "--db", db]).status == 0)
        #expect(try await printed(commands, formats: ["csv"]) == before)
    }

    @Test func aFlippedByteInAnArchiveFailsVerifyNamingItsRun() async throws {
        let runs = try await storeSimulatedRuns(runs: 5, steps: 3...12, seed: 23, db: db)
        #expect(try await ledgerctl(["compact", "--older-than", "30d", "--db", db]).status == 0)
        try await DatabaseQueue(path: db).write { db in
            let key = try #require(
                try Int64.fetchOne(db, sql: "SELECT run_key FROM streams WHERE run_id = ?", arguments: [runs[2]]))
            var blob = try #require(
                try Data.fetchOne(db, sql: "SELECT blob FROM archives WHERE run_key = ?", arguments: [key]))
            blob[blob.count / 3] ^= 0x01
            try db.execute(
                sql: "DROP TRIGGER archives_reject_update; UPDATE archives SET blob = ? WHERE run_key = ?",
                arguments: [blob, key])
        }
        let verify = try await ledgerctl(["verify", "--db", db, "--format", "csv"])
        #expect(verify.status == 3)
        let problems = verify.stdout.split(whereSeparator: \.isNewline).dropFirst()
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("\(runs[2]),,,corrupt_archive,") == true, "\(verify.stdout)")

        let timeline = try await ledgerctl(["timeline", runs[2], "--db", db])
        #expect(timeline.status == 1)
        #expect(timeline.stderr.contains("run \(runs[2]): its archive cannot be read"), "\(timeline.stderr)")
        #expect(try await ledgerctl(["timeline", runs[3], "--db", db]).status == 0)
    }

    @Test func aBadDurationIsAUsageError() async throws {
        let result = try await ledgerctl(["compact", "--older-than", "soon", "--db", db])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--older-than: expected a duration like 30d"))
    }

    private func archivedRuns() throws -> Int {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: db, configuration: configuration).read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM archives") ?? 0
        }
    }

    /// Sends SIGKILL to `process` `delay` after the first archive is committed. It watches from a
    /// thread of its own: tests busy on the shared pool must not make it late.
    private func killAfterFirstArchive(_ process: Process, delay: Duration) async throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: db, configuration: configuration)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                do {
                    let deadline = ContinuousClock.now + .seconds(60)
                    while process.isRunning, ContinuousClock.now < deadline,
                        try queue.read({ try Int.fetchOne($0, sql: "SELECT count(*) FROM archives") }) == 0
                    {
                        Thread.sleep(forTimeInterval: 0.001)
                    }
                    Thread.sleep(forTimeInterval: Double(delay.microseconds) / 1e6)
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
