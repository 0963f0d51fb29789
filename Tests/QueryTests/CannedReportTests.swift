// The canned reports (cost, failures, billing discrepancies and runs) as queries: their
// documented orderings, unknown keys last, time windows on each step's own time, exact cents at
// a price change, and the same totals whether a window is given or not.

import Foundation
import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct CannedReportTests {
    let fixture: QueryStore
    var store: LedgerStore { fixture.store }

    init() throws { fixture = try QueryStore(SampleRuns.reportFixture()) }

    private func time(_ text: String) throws -> Int64 { try #require(UTCTime.parse(text)) }

    private func cost(_ grouping: CostGrouping, _ window: TimeWindow = .all) throws -> [[String?]] {
        try fixture.rows(CannedReports.cost(by: grouping, window: window))
    }

    private func keys(_ rows: [[String?]]) -> [String?] { rows.map { $0[0] } }
    private func runs(_ rows: [[String?]]) -> [String?] { rows.map { $0[1] } }
    private func steps(_ rows: [[String?]]) -> [String?] { rows.map { $0[2] } }
    private func money(_ rows: [[String?]]) -> [String?] { rows.map { dollars($0[3]) } }

    @Test func costByRunIsOrderedByCostThenKey() throws {
        let rows = try cost(.run)
        #expect(keys(rows) == ["run-a", "run-f", "run-b", "run-c", "run-d", "run-e"])
        #expect(money(rows) == ["0.25", "0.20", "0.15", "0.10", "0.05", "0.05"])
        #expect(runs(rows).allSatisfy { $0 == "1" })
    }

    @Test func costByMachineStateAndTaskPutUnknownKeysLast() throws {
        let machines = try cost(.machine)
        #expect(keys(machines) == ["m-1", "m-2", nil])
        #expect(runs(machines) == ["3", "2", "1"])
        #expect(steps(machines) == ["9", "6", "1"])
        #expect(money(machines) == ["0.45", "0.30", "0.05"])
        let states = try cost(.state)
        #expect(keys(states) == ["failed", "running", "succeeded", "cancelled", "timed_out"])
        #expect(money(states) == ["0.30", "0.20", "0.15", "0.10", "0.05"])
        let tasks = try cost(.task)
        #expect(keys(tasks) == ["refund", "invoice", nil])
        #expect(runs(tasks) == ["2", "3", "1"])
        #expect(money(tasks) == ["0.40", "0.35", "0.05"])
    }

    @Test func unknownKeyComesAfterAKnownOneOfTheSameCost() throws {
        try store.append(RunScript.run(machine: "m-9", steps: 1, start: "2026-11-05T10:00:00Z"), to: "run-h")
        let machines = try cost(.machine)
        #expect(keys(machines) == ["m-1", "m-2", "m-9", nil])
        #expect(money(machines) == ["0.45", "0.30", "0.05", "0.05"])
        let windowed = try cost(.machine, TimeWindow(since: try time("2026-11-01")))
        #expect(keys(windowed) == ["m-1", "m-2", "m-9", nil])
    }

    @Test func costWindowCountsOnlyStepsWhoseOwnTimeIsInside() throws {
        let day = TimeWindow(since: try time("2026-11-01"), until: try time("2026-11-02"))
        let machines = try cost(.machine, day)
        #expect(keys(machines) == ["m-2", "m-1"])
        #expect(money(machines) == ["0.25", "0.15"])
        let firstTwoSteps = TimeWindow(until: try time("2026-11-01T10:00:04Z"))
        let rows = try cost(.run, firstTwoSteps)
        #expect(keys(rows) == ["run-a", "run-b"])
        #expect(steps(rows) == ["2", "2"])
        #expect(money(rows) == ["0.10", "0.10"])
    }

    @Test(arguments: CostGrouping.allCases)
    func costWithAWindowAroundEverythingMatchesTheWholeTotals(grouping: CostGrouping) throws {
        let everything = TimeWindow(since: try time("2000-01-01"), until: try time("2100-01-01"))
        #expect(try cost(grouping, everything) == cost(grouping))
    }

    @Test func costByDayIsChronologicalInUTC() throws {
        var script = RunScript()
        script.add("step", #"{"event":"step","step":1,"ts":"2026-11-04T23:30:00-05:00"}"#)
        try store.append(script.events, to: "run-g")
        let days = try cost(.day)
        let dates = try keys(days).map { try #require($0.flatMap(Int64.init)) }.map { UTCTime.format($0).prefix(10) }
        #expect(dates == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"])
        #expect(runs(days) == ["2", "1", "2", "1", "1"])
        #expect(steps(days) == ["8", "2", "2", "4", "1"])
    }

    @Test func costByDaySplitsExactCentsAtThePriceChange() throws {
        let other = try QueryStore([])
        try other.store.setPrice(try #require(Money(dollars: "0.04")), from: try time("2027-01-01"))
        for (run, steps, start) in [("run-a", 3, "2026-12-31T23:59:58Z"), ("run-b", 10, "2027-01-01T08:00:00Z")] {
            var script = RunScript(start: start)
            script.state("running")
            script.time -= 1_000_000
            for number in 1...steps { script.step(number) }
            try other.store.append(script.events, to: run)
        }
        let days = try other.rows(CannedReports.cost(by: .day))
        #expect(runs(days) == ["1", "2"])
        #expect(steps(days) == ["2", "11"])
        #expect(money(days) == ["0.10", "0.44"])
    }

    @Test func runsWithoutStepsCountInCostWithNoStepsAndNoMoney() throws {
        try store.append(Array(RunScript.run(steps: 0).prefix(2)), to: "run-z")
        let rows = try fixture.rows(CannedReports.cost(by: .run))
        #expect(rows.contains { $0.first == "run-z" && $0[1] == "1" && $0[2] == "0" }, "\(rows)")
        #expect(try fixture.column("run_id", of: CannedReports.runs()).contains("run-z"))
    }

    @Test func failuresGroupByReasonWithTheirStepsAndMoney() throws {
        let rows = try fixture.rows(CannedReports.failures())
        #expect(keys(rows) == ["captcha", "cancelled", "timed_out"])
        #expect(runs(rows) == ["2", "1", "1"])
        #expect(steps(rows) == ["6", "2", "1"])
        #expect(money(rows) == ["0.30", "0.10", "0.05"])
    }

    @Test func failuresByMachineListEachMachinesReasonsUnknownMachineLast() throws {
        let rows = try fixture.rows(CannedReports.failures(by: .machine))
        #expect(rows.map { $0[0] } == ["m-1", "m-2", nil])
        #expect(rows.map { $0[1] } == ["cancelled", "captcha", "timed_out"])
        #expect(rows.map { $0[2] } == ["1", "2", "1"])
    }

    @Test func runsReportMatchesTheTypedRunsInOrderWithEveryFilter() throws {
        let window = TimeWindow(since: try time("2026-11-02"), until: try time("2026-11-03T10:00:00Z"))
        let cases: [(String, RunFilter)] = [
            (CannedReports.runs(), RunFilter()),
            (CannedReports.runs(state: "failed"), RunFilter(state: "failed")),
            (CannedReports.runs(machine: "m-1"), RunFilter(machineID: "m-1")),
            (CannedReports.runs(window: window), RunFilter(window: window)),
            (CannedReports.runs(machine: "m-2", failedOnly: true), RunFilter(machineID: "m-2", failedOnly: true)),
            (CannedReports.discrepancies(), RunFilter(discrepanciesOnly: true)),
        ]
        for (query, filter) in cases {
            #expect(try fixture.column("run_id", of: query) == store.runs(filter).map(\.runID), "\(query)")
        }
    }

    @Test func aWindowEndKeepsItsMicroseconds() throws {
        let query = CannedReports.runs(window: TimeWindow(since: 1_793_700_000_000_001))
        #expect(query.contains("2026-11-03T10:00:00.000001Z"))
        #expect(throws: Never.self) { try QueryLanguage.compile(query) }
    }
}
