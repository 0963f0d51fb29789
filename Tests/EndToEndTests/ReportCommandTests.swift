// End-to-end tests of the report commands through the built binary: runs, cost, failures,
// prices, rebuild and timeline --gaps print design.md's columns in every format, money to the
// exact cent, progress on stderr only, and usage errors that name the option and exit 2.

import Foundation
import LedgerTestSupport
import Testing

@Suite struct ReportCommandTests {
    let scratch: ScratchDirectory
    let db: String
    let transcript = examplesURL.appendingPathComponent("refund-run.sse").path

    init() throws {
        scratch = try ScratchDirectory()
        db = scratch.path("ledger.sqlite")
    }

    /// A failed run on m-2 with 2 steps whose result claims 3.
    private func importFailedRun() async throws {
        let file = scratch.path("failed.sse")
        try """
        id: 1
        event: state
        data: {"event":"state","state":"queued","machine_id":"m-2","task":"invoice","ts":"2026-11-03T08:00:00Z"}

        id: 2
        data: {"event":"state","state":"running","ts":"2026-11-03T08:00:01Z"}

        id: 3
        data: {"event":"step","state":"running","step":1,"action":{"type":"click"},"ts":"2026-11-03T08:00:03Z"}

        id: 4
        data: {"event":"step","state":"running","step":2,"action":{"type":"type"},"ts":"2026-11-03T08:00:07Z"}

        id: 5
        data: {"event":"state","state":"failed","ts":"2026-11-03T08:00:09Z"}

        id: 6
        data: {"event":"result","state":"failed","result":{"success":false,"error":{"code":"captcha"},"steps":3},"ts":"2026-11-03T08:00:09Z"}


        """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ledgerctl(["import", file, "--run", "run-failed", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
    }

    private func importRefund() async throws {
        let result = try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
    }

    private func jsonRows(_ arguments: [String]) async throws -> [[String: Any]] {
        let result = try await ledgerctl(arguments + ["--db", db, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    @Test func runsPrintsDesignColumnsWithMoneyAsADecimalNumber() async throws {
        try await importRefund()
        try await importFailedRun()
        let result = try await ledgerctl(["runs", "--db", db, "--format", "json"])
        #expect(result.status == 0)
        #expect(result.stdout.contains(#""cost_usd":0.40"#))
        let rows = try await jsonRows(["runs"])
        #expect(rows.map { $0["run_id"] as? String } == ["run-refund", "run-failed"])
        let keys = [
            "run_id", "state", "machine_id", "task", "steps", "cost_usd", "started_at", "ended_at", "duration_s",
            "failure_reason", "events", "complete",
        ]
        #expect(rows.allSatisfy { Set($0.keys) == Set(keys) })
        #expect(rows.allSatisfy { $0["complete"] as? Bool == false }, "imported runs are not confirmed complete")
        #expect(rows.first?["started_at"] as? String == "2026-11-02T09:14:02.274Z")
        #expect(rows.last?["failure_reason"] as? String == "captcha")
        #expect(rows.last?["machine_id"] as? String == "m-2")
        #expect(rows.last?["duration_s"] as? Double == 8)
    }

    @Test(arguments: ["runs", "cost", "failures", "prices"])
    func everyReportPrintsInEveryFormat(command: String) async throws {
        try await importRefund()
        try await importFailedRun()
        var lines: [String: Int] = [:]
        for format in ["table", "json", "csv", "ndjson"] {
            let result = try await ledgerctl([command, "--db", db, "--format", format])
            #expect(result.status == 0, "\(command) --format \(format): \(result.stderr)")
            #expect(result.stderr.isEmpty)
            lines[format] = result.stdout.split(whereSeparator: \.isNewline).count
        }
        let rows = try #require(lines["ndjson"])
        #expect(rows > 0)
        #expect(lines["table"] == rows + 1)
        #expect(lines["csv"] == rows + 1)
        #expect(lines["json"] == rows + 2)
    }

    @Test func runsFiltersNameTheirRuns() async throws {
        try await importRefund()
        try await importFailedRun()
        #expect(try await jsonRows(["runs", "--failed"]).map { $0["run_id"] as? String } == ["run-failed"])
        #expect(try await jsonRows(["runs", "--state", "succeeded"]).map { $0["run_id"] as? String } == ["run-refund"])
        #expect(try await jsonRows(["runs", "--machine", "m-2"]).count == 1)
        #expect(
            try await jsonRows(["runs", "--since", "2026-11-03"]).map { $0["run_id"] as? String } == ["run-failed"])
        #expect(
            try await jsonRows(["runs", "--until", "2026-11-02"]).map { $0["run_id"] as? String } == ["run-refund"])
    }

    @Test func costByDayAndMachineInCSV() async throws {
        try await importRefund()
        try await importFailedRun()
        let days = try await ledgerctl(["cost", "--by", "day", "--db", db, "--format", "csv"])
        #expect(days.stdout == "key,runs,steps,cost_usd\r\n2026-11-02,1,8,0.40\r\n2026-11-03,1,2,0.10\r\n")
        let machines = try await ledgerctl(["cost", "--by", "machine", "--db", db, "--format", "csv"])
        #expect(machines.stdout == "key,runs,steps,cost_usd\r\n,1,8,0.40\r\nm-2,1,2,0.10\r\n")
        let window = try await ledgerctl([
            "cost", "--by", "run", "--since", "2026-11-02T09:16:00Z", "--db", db, "--format", "csv",
        ])
        #expect(window.stdout == "key,runs,steps,cost_usd\r\nrun-failed,1,2,0.10\r\nrun-refund,1,2,0.10\r\n")
    }

    @Test func priceSetRepricesLaterStepsToTheCent() async throws {
        try await importRefund()
        let set = try await ledgerctl(["prices", "set", "0.04", "--from", "2026-11-02T09:15:00Z", "--db", db])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("re-priced 2 stored steps in 1 runs"))
        let prices = try await ledgerctl(["prices", "--db", db, "--format", "csv"])
        #expect(prices.stdout == "effective_from,usd_per_step\r\n,0.05\r\n2026-11-02T09:15:00.000Z,0.04\r\n")
        let cost = try await ledgerctl(["cost", "--by", "run", "--db", db, "--format", "csv"])
        #expect(cost.stdout == "key,runs,steps,cost_usd\r\nrun-refund,1,8,0.38\r\n")
    }

    @Test func failuresByReasonAndByMachine() async throws {
        try await importRefund()
        try await importFailedRun()
        let byReason = try await ledgerctl(["failures", "--db", db, "--format", "csv"])
        #expect(byReason.stdout == "failure_reason,runs,steps,cost_usd\r\ncaptcha,1,2,0.10\r\n")
        let byMachine = try await ledgerctl(["failures", "--by", "machine", "--db", db, "--format", "csv"])
        #expect(byMachine.stdout == "machine_id,failure_reason,runs,steps,cost_usd\r\nm-2,captcha,1,2,0.10\r\n")
    }

    @Test func costDiscrepanciesListsRunsWhoseResultDisagrees() async throws {
        try await importRefund()
        try await importFailedRun()
        let result = try await ledgerctl(["cost", "--discrepancies", "--db", db, "--format", "csv"])
        #expect(
            result.stdout
                == "run_id,state,machine_id,steps,reported_steps,cost_usd\r\nrun-failed,failed,m-2,2,3,0.10\r\n")
    }

    @Test func timelineGapsAddsOneColumnAndTheDefaultKeepsDesignColumns() async throws {
        try await importRefund()
        let plain = try await jsonRows(["timeline", "run-refund"])
        #expect(plain.allSatisfy { Set($0.keys) == ["seq", "event_id", "at", "type", "state", "step", "message"] })
        let gaps = try await jsonRows(["timeline", "run-refund", "--gaps", "--last", "4"])
        #expect(gaps.map { $0["seq"] as? Int } == [12, 13, 14, 15])
        #expect(gaps.map { $0["gap_s"] as? Double } == [101.974, 4.548, nil, nil])
    }

    @Test func rebuildKeepsReportsAndPrintsProgressOnStderrOnly() async throws {
        try await importRefund()
        try await importFailedRun()
        let before = try await ledgerctl(["runs", "--db", db, "--format", "csv"])
        let rebuild = try await ledgerctl(["rebuild", "--db", db])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(rebuild.stdout.isEmpty)
        #expect(rebuild.stderr.contains("rebuild: 2 runs, 21 events, 10 steps"))
        #expect(try await ledgerctl(["runs", "--db", db, "--format", "csv"]).stdout == before.stdout)
    }

    @Test func badArgumentsNameTheOptionAndExitTwo() async throws {
        try await importRefund()
        let since = try await ledgerctl(["runs", "--since", "yesterday", "--db", db])
        #expect(since.status == 2)
        #expect(since.stderr.contains("--since: expected a date like 2026-11-01"))
        #expect(since.stderr.contains("got 'yesterday'"))
        let price = try await ledgerctl(["prices", "set", "five", "--from", "2027-01-01", "--db", db])
        #expect(price.status == 2)
        #expect(price.stderr.contains("PRICE: expected dollars per step like 0.04"))
        #expect(try await ledgerctl(["cost", "--by", "week", "--db", db]).status == 2)
        #expect(try await ledgerctl(["runs", "--state", "paused", "--db", db]).status == 2)
    }
}
