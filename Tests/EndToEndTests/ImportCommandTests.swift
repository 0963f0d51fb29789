// End-to-end tests of import, timeline and verify through the built binary: exit codes,
// stdout/stderr separation, idempotent re-import, and errors that name file and line.

import Foundation
import GRDB
import LedgerTestSupport
import Testing

@Suite struct ImportCommandTests {
    let scratch: ScratchDirectory
    let db: String
    let transcript = examplesURL.appendingPathComponent("refund-run.sse").path

    init() throws {
        scratch = try ScratchDirectory()
        db = scratch.path("ledger.sqlite")
    }

    @Test func importingTheSameFileTwiceAddsNothing() async throws {
        let first = try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("15 new, 0 duplicate, 0 conflicting (15 events)"))
        let second = try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db])
        #expect(second.status == 0)
        #expect(second.stdout.contains("0 new, 15 duplicate, 0 conflicting"))
    }

    @Test func aMessageThatIsNotUTF8IsRefusedWithItsLineKeptAsideAndListedByVerify() async throws {
        let path = scratch.path("bad-bytes.sse")
        let bytes = Array("id: 1\ndata: {\"event\":\"state\",\"state\":\"running\"}\n\nid: 2\ndata: {\"message\":\"".utf8)
            + [0xFF, 0xC3] + Array("\"}\n\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try await ledgerctl(["import", path, "--run", "run-bad", "--db", db])
        #expect(result.status == 1)
        #expect(result.stdout.contains("1 new"), "\(result.stdout)")
        #expect(result.stderr.contains("\(path):4: not valid UTF-8; refused and kept aside"), "\(result.stderr)")
        let verify = try await ledgerctl(["verify", "--db", db, "--format", "csv"])
        #expect(verify.status == 3)
        #expect(verify.stdout.contains("run-bad,2,,refused_message,"), "\(verify.stdout)")
    }

    @Test(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
    func importIntoPostgresIsIdempotentVerifiesAndHasStats() async throws {
        let postgres = try await TestPostgres.makeDatabase()
        let first = try await ledgerctl(["import", transcript, "--run", "run-refund", "--store", postgres])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("15 new, 0 duplicate, 0 conflicting (15 events)"))
        let second = try await ledgerctl(["import", transcript, "--run", "run-refund"], environment: ["LEDGER_STORE": postgres])
        #expect(second.stdout.contains("0 new, 15 duplicate, 0 conflicting"))
        let verify = try await ledgerctl(["verify", "--store", postgres])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stderr.contains("1 runs, 15 events: intact"))
        let stats = try await ledgerctl(["stats", "--store", postgres, "--format", "csv"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let rows = Dictionary(
            stats.stdout.split(whereSeparator: \.isNewline).dropFirst().map { line -> (String, String) in
                let cells = line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(cells[0]), cells.count > 1 ? String(cells[1]) : "")
            }, uniquingKeysWith: { first, _ in first })
        #expect(rows["runs"] == "1")
        #expect(rows["events"] == "15")
        #expect(rows["events_archived"] == "0")
        #expect(rows["free_bytes"] == "")
        #expect(rows["oldest_run"] == "run-refund")
        #expect(Int(rows["bytes.events"] ?? "") ?? 0 > 0)
    }

    @Test(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
    func everyReportOnPostgresPrintsWhatItPrintsOnSQLite() async throws {
        let postgres = try await TestPostgres.makeDatabase()
        for store in [db, postgres] {
            let imported = try await ledgerctl(["import", transcript, "--run", "run-refund", "--store", store])
            #expect(imported.status == 0, "\(imported.stderr)")
            let priced = try await ledgerctl(["prices", "set", "0.04", "--from", "2026-11-02T09:15:00Z", "--store", store])
            #expect(priced.status == 0, "\(priced.stderr)")
        }
        let reports: [[String]] = [
            ["runs"], ["runs", "--failed"], ["timeline", "run-refund", "--gaps"], ["timeline", "run-refund", "--last", "3"],
            ["cost", "--by", "day"], ["cost", "--by", "run"], ["cost", "--by", "machine"], ["cost", "--by", "task"],
            ["cost", "--by", "state", "--since", "2026-11-02T09:15:00Z"], ["cost", "--discrepancies"], ["failures"],
            ["failures", "--by", "machine"], ["prices"],
            ["query", "events | where data.event == \"step\" | summarize n = count(), top = max(data.step) by type"],
            ["query", "steps | sort by position | extend half = gap_s / 2, none = step / 0 | project run_id, step, half, none"],
            ["query", "steps | summarize p90(gap_s), avg(price_usd), dcount(action_type) by run_id"],
            ["query", "transitions | sort by ended_at, position | project state, started_at, ended_at, duration_s"],
            ["query", "runs | where billing_discrepancy == false and steps > 3 | project run_id, state, flag = steps > 5"],
            ["query", "events | where data.step > 2 | summarize n = count(), top = max(data.step) by t = data.event"],
            ["query", "runs | summarize n = count() by m = coalesce(machine_id, \"none\"), s = lower(state) | sort by m"],
            ["query", "steps | summarize n = count(), p = p50(price_usd) by h = bin(at, 1h) | sort by h desc | take 5"],
            ["query", "events | sort by received_at desc, event_id | project ok = data.result.success == true, n = len(data.message) | take 4"],
        ]
        try await expectSameReports(reports, sqlite: db, postgres: postgres)
        // Archived, the run reads the same on both stores.
        for store in [db, postgres] {
            let compacted = try await ledgerctl(["compact", "--older-than", "0s", "--store", store])
            #expect(compacted.status == 0, "\(compacted.stderr)")
            #expect(compacted.stdout.contains("compacted 1 runs, 15 events"), "\(compacted.stdout)")
            let verify = try await ledgerctl(["verify", "--store", store])
            #expect(verify.stderr.contains("1 runs, 15 events: intact"), "\(verify.stderr)")
        }
        try await expectSameReports(reports, sqlite: db, postgres: postgres)
        let rebuilt = try await ledgerctl(["rebuild", "--store", postgres])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(rebuilt.stderr.contains("1 runs, 15 events"))
        let after = try await ledgerctl(["cost", "--by", "run", "--store", postgres])
        #expect(after.stdout == (try await ledgerctl(["cost", "--by", "run", "--store", db])).stdout)
    }

    @Test func timelineShowsTheRunInStreamOrderAsJSON() async throws {
        _ = try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db])
        let result = try await ledgerctl(["timeline", "run-refund", "--db", db, "--format", "json"])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 15)
        #expect(rows.first?["type"] as? String == "state")
        #expect(rows.first?["state"] as? String == "queued")
        #expect(rows.first?["at"] as? String == "2026-11-02T09:14:00.000Z")
        #expect(rows.last?["type"] as? String == "result")
        #expect(rows.map { $0["seq"] as? Int } == (1...15).map { $0 })
        #expect(rows.compactMap { $0["event_id"] as? String }.contains("9#1"))
    }

    @Test(arguments: ["table", "csv", "ndjson"])
    func timelineFormatsPrintEveryEvent(format: String) async throws {
        _ = try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db])
        let result = try await ledgerctl(["timeline", "run-refund", "--db", db, "--format", format])
        #expect(result.status == 0)
        let lines = result.stdout.split(whereSeparator: \.isNewline)
        #expect(lines.count == (format == "ndjson" ? 15 : 16))
    }

    @Test func invalidJSONIsStoredRawAndNamedByLine() async throws {
        let file = scratch.path("bad.sse")
        try "id: 1\ndata: {\"event\":\"state\",\"state\":\"queued\"}\n\nid: 2\ndata: {not json\n\nid: 3\ndata: {\"event\":\"step\",\"step\":1}\n\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ledgerctl(["import", file, "--run", "run-x", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(file):4: data is not JSON (stored raw)"))
        #expect(result.stdout.contains("3 new"))
        let timeline = try await ledgerctl(["timeline", "run-x", "--db", db, "--format", "csv"])
        #expect(timeline.stdout.split(whereSeparator: \.isNewline).count == 4)
    }

    @Test func unterminatedFinalMessageIsReportedAndNotStored() async throws {
        let file = scratch.path("cut.sse")
        try "id: 1\ndata: {\"event\":\"state\",\"state\":\"queued\"}\n\nid: 2\ndata: {\"event\":\"step\"}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ledgerctl(["import", file, "--run", "run-x", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(file):4: the last message has no blank line after it"))
        #expect(result.stdout.contains("1 new"))
    }

    @Test func missingFileIsAClearErrorNamingIt() async throws {
        let result = try await ledgerctl(["import", scratch.path("nope.sse"), "--run", "r", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("nope.sse: No such file or directory"))
    }

    @Test func importReadsStandardInput() async throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: transcript))
        let result = try await ledgerctl(["import", "-", "--run", "run-stdin", "--db", db], stdin: data)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("15 new"))
    }

    @Test func verifyExitsZeroOnAnIntactStoreAndThreeOnATamperedOne() async throws {
        _ = try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db])
        let clean = try await ledgerctl(["verify", "--db", db])
        #expect(clean.status == 0)
        #expect(clean.stderr.contains("intact"))
        try sqlite(db, "DROP TRIGGER events_reject_update; UPDATE events SET data = replace(data, '612.40', '6.40') WHERE event_id = '14';")
        let tampered = try await ledgerctl(["verify", "--db", db, "--format", "csv"])
        #expect(tampered.status == 3)
        #expect(tampered.stdout.contains("run-refund,14,15,tampered_event"))
        #expect(tampered.stderr.contains("FAILED"))
    }

    @Test func reportOnAMissingDatabaseFailsWithoutCreatingIt() async throws {
        let result = try await ledgerctl(["timeline", "r", "--db", scratch.path("absent.sqlite")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("absent.sqlite: cannot open the database (no such file"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("absent.sqlite")))
    }

    @Test func corruptDatabaseIsNamed() async throws {
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: db))
        let result = try await ledgerctl(["verify", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(db): not a readable Ledger database"))
    }

    @Test func usageErrorsExitTwo() async throws {
        #expect(try await ledgerctl(["timeline"]).status == 2)
        #expect(try await ledgerctl(["timeline", "r", "--format", "xml"]).status == 2)
        #expect(try await ledgerctl(["frobnicate"]).status == 2)
    }

    @Test func helpDescribesEveryCommand() async throws {
        let help = try await ledgerctl(["--help"])
        #expect(help.status == 0)
        for command in ["import", "timeline", "verify"] { #expect(help.stdout.contains(command)) }
    }

    @Test func databaseComesFromLedgerDBWhenNoFlagIsGiven() async throws {
        let result = try await ledgerctl(["import", transcript, "--run", "r"], environment: ["LEDGER_DB": db])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: db))
    }
}

/// Runs SQL on a database file through a connection of its own, as someone with the file could.
func sqlite(_ path: String, _ sql: String) throws {
    try DatabaseQueue(path: path).write { try $0.execute(sql: sql) }
}
