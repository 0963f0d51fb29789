// The reports over the projections: their documented orderings, filters and time windows, the
// cost groupings (which agree whether or not a window is given), failures by reason and by
// machine, and the timeline with step gaps.

import Foundation
import Ledger
import Testing

@Suite struct ReportTests {
    let scratch: ScratchDirectory
    let store: LedgerStore

    /// run-a m-2 refund 5 steps failed(captcha) and run-b m-1 refund 3 steps succeeded, both from
    /// 2026-11-01T10:00; run-c m-1 invoice 2 steps cancelled (11-02); run-d m-2 invoice 1 step
    /// failed(captcha) (11-03 09:00); run-e no machine or task, 1 step, timed out (11-03 12:00);
    /// run-f m-1 invoice 4 steps still running (11-04).
    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        let captcha = #"{"code":"captcha"}"#
        var timedOut = RunScript(start: "2026-11-03T12:00:00Z")
        timedOut.state("queued")
        timedOut.state("running")
        timedOut.step(1)
        timedOut.state("timed_out")
        timedOut.result("timed_out", steps: 1)
        try store.append([
            RunBatch(runID: "run-b", events: RunScript.run(steps: 3, start: "2026-11-01T10:00:00Z")),
            RunBatch(
                runID: "run-a",
                events: RunScript.run(
                    machine: "m-2", steps: 5, ending: "failed", error: captcha, start: "2026-11-01T10:00:00Z")),
            RunBatch(
                runID: "run-c",
                events: RunScript.run(task: "invoice", steps: 2, ending: "cancelled", start: "2026-11-02T09:00:00Z")),
            RunBatch(
                runID: "run-d",
                events: RunScript.run(
                    machine: "m-2", task: "invoice", steps: 1, ending: "failed", error: captcha,
                    start: "2026-11-03T09:00:00Z")),
            RunBatch(runID: "run-e", events: timedOut.events),
            RunBatch(
                runID: "run-f",
                events: Array(RunScript.run(task: "invoice", steps: 4, start: "2026-11-04T09:00:00Z").dropLast(2))),
        ])
    }

    private func time(_ text: String) throws -> Int64 { try #require(UTCTime.parse(text)) }

    @Test func runsAreOrderedByFirstEventThenRunID() throws {
        #expect(try store.runs().map(\.runID) == ["run-a", "run-b", "run-c", "run-d", "run-e", "run-f"])
    }

    @Test func runsFilterByStateMachineWindowAndFailure() throws {
        #expect(try store.runs(RunFilter(state: "failed")).map(\.runID) == ["run-a", "run-d"])
        #expect(try store.runs(RunFilter(machineID: "m-1")).map(\.runID) == ["run-b", "run-c", "run-f"])
        let window = TimeWindow(since: try time("2026-11-02"), until: try time("2026-11-03T10:00:00Z"))
        #expect(try store.runs(RunFilter(window: window)).map(\.runID) == ["run-c", "run-d"])
        #expect(try store.runs(RunFilter(failedOnly: true)).map(\.runID) == ["run-a", "run-c", "run-d", "run-e"])
        #expect(try store.runs(RunFilter(machineID: "m-2", failedOnly: true)).map(\.runID) == ["run-a", "run-d"])
        #expect(try store.runs(RunFilter(state: "queued")).isEmpty)
    }

    @Test func costByRunIsOrderedByCostThenKey() throws {
        let rows = try store.cost(by: .run)
        #expect(rows.map(\.key) == ["run-a", "run-f", "run-b", "run-c", "run-d", "run-e"])
        #expect(rows.map(\.cost.decimalText) == ["0.25", "0.20", "0.15", "0.10", "0.05", "0.05"])
        #expect(rows.allSatisfy { $0.runs == 1 })
    }

    @Test func costByMachineStateAndTaskPutUnknownKeysLast() throws {
        let machines = try store.cost(by: .machine)
        #expect(machines.map(\.key) == ["m-1", "m-2", nil])
        #expect(machines.map(\.runs) == [3, 2, 1])
        #expect(machines.map(\.steps) == [9, 6, 1])
        #expect(machines.map(\.cost.decimalText) == ["0.45", "0.30", "0.05"])
        let states = try store.cost(by: .state)
        #expect(states.map(\.key) == ["failed", "running", "succeeded", "cancelled", "timed_out"])
        #expect(states.map(\.cost.decimalText) == ["0.30", "0.20", "0.15", "0.10", "0.05"])
        let tasks = try store.cost(by: .task)
        #expect(tasks.map(\.key) == ["refund", "invoice", nil])
        #expect(tasks.map(\.runs) == [2, 3, 1])
        #expect(tasks.map(\.cost.decimalText) == ["0.40", "0.35", "0.05"])
    }

    @Test func unknownKeyComesAfterAKnownOneOfTheSameCost() throws {
        try store.append(RunScript.run(machine: "m-9", steps: 1, start: "2026-11-05T10:00:00Z"), to: "run-h")
        let machines = try store.cost(by: .machine)
        #expect(machines.map(\.key) == ["m-1", "m-2", "m-9", nil])
        #expect(machines.map(\.cost.decimalText) == ["0.45", "0.30", "0.05", "0.05"])
        let windowed = try store.cost(by: .machine, window: TimeWindow(since: try time("2026-11-01")))
        #expect(windowed.map(\.key) == ["m-1", "m-2", "m-9", nil])
    }

    @Test func costWindowCountsOnlyStepsWhoseOwnTimeIsInside() throws {
        let day = TimeWindow(since: try time("2026-11-01"), until: try time("2026-11-02"))
        let machines = try store.cost(by: .machine, window: day)
        #expect(machines.map(\.key) == ["m-2", "m-1"])
        #expect(machines.map(\.cost.decimalText) == ["0.25", "0.15"])
        let firstTwoSteps = TimeWindow(until: try time("2026-11-01T10:00:04Z"))
        let runs = try store.cost(by: .run, window: firstTwoSteps)
        #expect(runs.map(\.key) == ["run-a", "run-b"])
        #expect(runs.map(\.steps) == [2, 2])
        #expect(runs.map(\.cost.decimalText) == ["0.10", "0.10"])
    }

    @Test(arguments: CostGrouping.allCases)
    func costWithAWindowAroundEverythingMatchesTheWholeTotals(grouping: CostGrouping) throws {
        let everything = TimeWindow(since: try time("2000-01-01"), until: try time("2100-01-01"))
        #expect(try store.cost(by: grouping, window: everything) == store.cost(by: grouping))
    }

    @Test func costByDayIsChronologicalInUTC() throws {
        var script = RunScript()
        script.add("step", #"{"event":"step","step":1,"ts":"2026-11-04T23:30:00-05:00"}"#)
        try store.append(script.events, to: "run-g")
        let days = try store.cost(by: .day)
        #expect(days.map(\.key) == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"])
        #expect(days.map(\.runs) == [2, 1, 2, 1, 1])
        #expect(days.map(\.steps) == [8, 2, 2, 4, 1])
    }

    @Test func runsWithoutStepsAreNotInCost() throws {
        try store.append(Array(RunScript.run(steps: 0).prefix(2)), to: "run-z")
        #expect(try store.cost(by: .run).map(\.key).contains("run-z") == false)
        #expect(try store.runs().contains { $0.runID == "run-z" })
    }

    @Test func failuresGroupByReasonWithTheirStepsAndMoney() throws {
        let rows = try store.failures()
        #expect(rows.map(\.failureReason) == ["captcha", "cancelled", "timed_out"])
        #expect(rows.map(\.runs) == [2, 1, 1])
        #expect(rows.map(\.steps) == [6, 2, 1])
        #expect(rows.map(\.cost.decimalText) == ["0.30", "0.10", "0.05"])
        #expect(rows.allSatisfy { $0.machineID == nil })
    }

    @Test func failuresByMachineListEachMachinesReasonsUnknownMachineLast() throws {
        let rows = try store.failures(by: .machine)
        #expect(rows.map(\.machineID) == ["m-1", "m-2", nil])
        #expect(rows.map(\.failureReason) == ["cancelled", "captcha", "timed_out"])
        #expect(rows.map(\.runs) == [1, 2, 1])
    }

    @Test func timelineShowsTheGapBeforeEachStepAfterTheFirst() throws {
        let timeline = try store.timeline(of: "run-a")
        #expect(timeline.map(\.position) == Array(1...9))
        #expect(timeline.map(\.type) == ["state", "state", "step", "step", "step", "step", "step", "state", "result"])
        #expect(timeline.map(\.gapMicros) == [nil, nil, nil, 1_000_000, 1_000_000, 1_000_000, 1_000_000, nil, nil])
        #expect(timeline.first?.at == (try time("2026-11-01T10:00:00Z")))
    }

    @Test func timelineLastKeepsStreamPositions() throws {
        let last = try store.timeline(of: "run-a", last: 3)
        #expect(last.map(\.position) == [7, 8, 9])
        #expect(last.map(\.eventID) == ["7", "8", "9"])
        #expect(try store.timeline(of: "run-a", last: 50).count == 9)
        #expect(try store.timeline(of: "nope").isEmpty)
    }
}
