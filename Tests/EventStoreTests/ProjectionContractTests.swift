// The projections behind the same interface on every backend: reports include an append as
// soon as it returns, workers racing on the same runs leave what one pass would, price changes
// re-price exactly the steps they cover, and a rebuild gives what live appends built. Each
// answer is compared with a SQLite store that took the same runs in one append.

import Foundation
import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct ProjectionContractTests {
    static let end: Int64 = 1_794_000_000_000_000
    static let sample = SampleRuns.generate(count: 24, seed: 9, end: end)

    /// The canned reports and a few queries over every projection.
    static let reports = [
        CannedReports.runs(), CannedReports.discrepancies(), CannedReports.failures(),
        CannedReports.failures(by: .machine),
        "transitions | sort by run_id, position | project run_id, position, state, started_at, ended_at, duration_s",
        "steps | sort by run_id, position | project run_id, position, step, at, action_type, message, gap_s, price_usd",
    ] + CostGrouping.allCases.map { CannedReports.cost(by: $0) }

    /// The rows of every report on `store`.
    static func answers(_ store: any ReportingStore) async throws -> [[[SQLValue]]] {
        var answers: [[[SQLValue]]] = []
        for report in reports {
            answers.append(try await store.rows(of: QueryLanguage.compile(report, for: store.engine, now: end)).rows)
        }
        return answers
    }

    /// The reports of a SQLite store given `runs` in one append.
    static func onePass(_ runs: [RunBatch]) async throws -> [[[SQLValue]]] {
        let scratch = try ScratchDirectory()
        let store = try LedgerStore(path: scratch.path("one-pass.sqlite"))
        try store.append(runs)
        return try await answers(store)
    }

    @Test(arguments: StoreBackend.available)
    func reportsIncludeEachAppendAsSoonAsItReturns(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let run = try #require(Self.sample.first)
        let query = try QueryLanguage.compile("runs | project run_id, events, steps, cost_usd", for: store.engine)
        var appended: [RawEvent] = []
        for event in run.events {
            _ = try await store.append([RunBatch(runID: run.runID, events: [event])])
            appended.append(event)
            let row = try await store.rows(of: query).rows
            let steps = appended.filter { $0.type == "step" }.count
            #expect(
                row == [[.text(run.runID), .integer(Int64(appended.count)), .integer(Int64(steps)),
                         .integer(Int64(steps) * 50_000)]])
        }
    }

    @Test(arguments: StoreBackend.available)
    func workersRacingOnTheSameRunsLeaveWhatOnePassWould(_ backend: StoreBackend) async throws {
        let location = try await backend.makeLocation()
        let workers = try await [0, 1, 2, 3].asyncMap { _ in try await location.open() }
        // Each worker delivers every run, in its own chunk size and run order.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, worker) in workers.enumerated() {
                group.addTask {
                    let size = 3 + index * 2
                    let longest = Self.sample.map(\.events.count).max() ?? 0
                    for start in stride(from: 0, to: longest, by: size) {
                        let runs = index % 2 == 0 ? Self.sample : Self.sample.reversed()
                        try await worker.append(
                            runs.map { RunBatch(runID: $0.runID, events: Array($0.events.dropFirst(start).prefix(size))) })
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await Self.answers(location.open()) == Self.onePass(Self.sample))
    }

    @Test(arguments: StoreBackend.available)
    func priceChangeRepricesTheStepsFromItsDateToTheCent(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        var script = RunScript()
        script.state("running")
        for step in 1...4 {
            script.step(step)
            script.wait(3_600)
        }
        let run = RunBatch(runID: "run-priced", events: script.events)
        try await store.append([run])
        let steps = script.events.filter { $0.type == "step" }
        let third = EventFacts(sseType: "step", data: steps[2].data, receivedAt: 0).at
        let change = try await store.setPrice(Money(micros: 40_000), from: third)
        #expect(change == PriceChange(previous: Money(micros: 50_000), repricedSteps: 2, repricedRuns: 1))
        #expect(try await store.prices().map(\.perStep.micros) == [50_000, 40_000])
        let cost = try QueryLanguage.compile("runs | project cost_usd", for: store.engine)
        #expect(try await store.rows(of: cost).rows == [[.integer(180_000)]])
        // Steps appended after the change are costed at their own time's price too.
        script.step(5)
        try await store.append([RunBatch(runID: "run-priced", events: Array(script.events.suffix(1)))])
        #expect(try await store.rows(of: cost).rows == [[.integer(220_000)]])
        _ = try await store.rebuild(progressInterval: 1_000) { _, _ in }
        #expect(try await store.rows(of: cost).rows == [[.integer(220_000)]])
    }

    @Test(arguments: StoreBackend.available)
    func rebuildGivesWhatLiveAppendsBuilt(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        for run in Self.sample { try await store.append([run]) }
        let live = try await Self.answers(store)
        let reported = ProgressLog()
        let summary = try await store.rebuild(progressInterval: 100) { applied, total in reported.add(applied, total) }
        let events = Self.sample.map(\.events.count).reduce(0, +)
        #expect(summary.runs == Self.sample.count)
        #expect(summary.events == events)
        #expect(reported.last.map { $0 == (events, events) } == true)
        #expect(try await Self.answers(store) == live)
        #expect(live == (try await Self.onePass(Self.sample)))
    }

    @Test(arguments: StoreBackend.available)
    func anEscapedNULInTheDataIsStoredAndProjected(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let data = #"{"event":"step","state":"running","step":1,"machine_id":"m\u0000x","message":"a\u0000b"}"#
        let event = RawEvent(eventID: "1", type: "step", data: data, receivedAt: 1)
        #expect(try await store.append([RunBatch(runID: "run-nul", events: [event])]) == AppendOutcome(new: 1))
        #expect(try await store.events(of: "run-nul").map(\.data) == [data])
        let query = try QueryLanguage.compile("runs | project steps, machine = machine_id != null", for: store.engine)
        #expect(try await store.rows(of: query).rows == [[.integer(1), .integer(1)]])
    }

    @Test(arguments: StoreBackend.available)
    func timelineListsTheRunInStreamOrderWithStepGaps(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let run = try #require(Self.sample.last)
        try await store.append([run])
        let timeline = try await store.timeline(of: run.runID, last: nil)
        #expect(timeline.map(\.eventID) == run.events.map(\.eventID))
        #expect(timeline.map(\.position) == Array(1...run.events.count))
        #expect(try await store.timeline(of: run.runID, last: 2).map(\.position) == [run.events.count - 1, run.events.count])
        #expect(try await store.timeline(of: "run-unknown", last: nil).isEmpty)
        let scratch = try ScratchDirectory()
        let reference = try LedgerStore(path: scratch.path("reference.sqlite"))
        try reference.append([run])
        #expect(timeline == (try reference.timeline(of: run.runID)))
    }
}

/// Progress reports, from whichever task the store calls back on.
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(Int, Int)] = []

    func add(_ applied: Int, _ total: Int) { lock.withLock { entries.append((applied, total)) } }

    var last: (Int, Int)? { lock.withLock { entries.last } }
}

@Suite(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
struct PostgresProjectionCatchUpTests {
    @Test(arguments: StoreBackend.available)
    func runsWithoutStepsCountInEveryCostGroupAndInFailures(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        var worked = RunScript(start: "2026-11-02T09:00:00Z")
        worked.state("queued", #""machine_id":"m-1","task":"refund""#)
        worked.state("running")
        worked.step(1)
        worked.state("succeeded")
        worked.result("succeeded", steps: 1)
        var rejected = RunScript(start: "2026-11-03T09:00:00Z")
        rejected.state("queued", #""machine_id":"m-2","task":"audit""#)
        rejected.state("failed")
        rejected.result("failed", steps: 0, error: #"{"code":"verifier_rejected","message":"no"}"#)
        _ = try await store.append([
            RunBatch(runID: "run-worked", events: worked.events), RunBatch(runID: "run-rejected", events: rejected.events),
        ])
        let windowed = TimeWindow(since: UTCTime.parse("2026-11-01T00:00:00Z"), until: UTCTime.parse("2026-11-05T00:00:00Z"))
        for window in [TimeWindow.all, windowed] {
            for grouping in CostGrouping.allCases {
                let rows = try await store.costRows(by: grouping, window: window).rows
                #expect(rows.reduce(0) { $0 + (Self.integer($1[1])) } == 2, "\(grouping): \(rows)")
                let zero = rows.filter { Self.integer($0[2]) == 0 }
                #expect(zero.count == 1 && Self.integer(zero[0][3]) == 0, "\(grouping) \(window): \(rows)")
            }
        }
        let byRun = try await store.costRows(by: .run).rows
        #expect(byRun.last == [.text("run-rejected"), .integer(1), .integer(0), .integer(0)])
        let byDay = try await store.costRows(by: .day).rows.map { $0[0] }
        #expect(byDay.count == 2, "the zero-step run counts on the day it started: \(byDay)")
        let failures = try await store.rows(of: QueryLanguage.compile(CannedReports.failures(), for: store.engine)).rows
        #expect(failures == [[.text("verifier_rejected"), .integer(1), .integer(0), .integer(0)]])
    }

    private static func integer(_ value: SQLValue) -> Int64 { if case .integer(let number) = value { number } else { 0 } }

    @Test func runsWithoutProjectionRowsAreProjectedByTheNextAppendOrRead() async throws {
        let location = try await StoreBackend.postgres.makeLocation()
        let store = try await location.open()
        let sample = ProjectionContractTests.sample
        try await store.append(sample)
        // What a store written before the projections existed looks like.
        try await TestPostgres.execute(
            "DELETE FROM runs", "DELETE FROM steps", "DELETE FROM transitions", on: location.address)
        var grown = sample
        var script = RunScript(start: "2026-12-01T00:00:00Z")
        script.step(1)
        let extra = RawEvent(
            eventID: "extra-1", type: "step", data: try #require(script.events.first).data, receivedAt: 1)
        grown[0].events.append(extra)
        try await store.append([RunBatch(runID: grown[0].runID, events: [extra])])
        #expect(try await ProjectionContractTests.answers(store) == ProjectionContractTests.onePass(grown))
    }
}
