// The property behind guarantee 5: random run streams, appended in random chunkings with random
// duplicates, conflicts, interleavings and deferred appends, give the same projections as one
// pass and as a rebuild, and an oracle over the plain event list agrees on every run.

import Foundation
import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct ProjectionPropertyTests {
    let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    @Test(arguments: 0..<30)
    func chunkedDeliveryAgreesWithOnePassRebuildAndOracle(iteration: Int) async throws {
        let seed = 0xC0A5_7000 + UInt64(iteration)
        var random = SplitMix(seed: seed)
        let runs = (0..<random.int(in: 1...6)).map { index in
            (id: "run-\(index)", events: randomRun(&random, start: 1_793_600_000_000_000 + Int64(index) * 7_000_000))
        }
        var prices = [(from: Int64.min, micros: Int64(50_000))]
        let span: ClosedRange<Int64> = 1_793_600_000_000_000...1_793_600_090_000_000
        for _ in 0..<random.int(in: 0...2) {
            prices.append((from: Int64.random(in: span, using: &random), micros: Int64(random.int(in: 0...9)) * 10_000))
        }
        let late =
            random.int(in: 0...1) == 0 ? (from: Int64.random(in: span, using: &random), micros: Int64(45_000)) : nil

        let chunked = try LedgerStore(path: scratch.path("chunked-\(seed).sqlite"))
        let onePass = try LedgerStore(path: scratch.path("one-pass-\(seed).sqlite"))
        for price in prices.dropFirst() {
            try chunked.setPrice(Money(micros: price.micros), from: price.from)
            try onePass.setPrice(Money(micros: price.micros), from: price.from)
        }
        try deliver(runs, into: chunked, using: &random) {
            if let late { try chunked.setPrice(Money(micros: late.micros), from: late.from) }
        }
        try onePass.append(
            runs.map { RunBatch(runID: $0.id, events: $0.events) }, projections: seed % 2 == 0 ? .deferred : .live)
        if let late {
            try onePass.setPrice(Money(micros: late.micros), from: late.from)
            prices.removeAll { $0.from == late.from }
            prices.append(late)
        }
        try chunked.catchUpProjections()
        try onePass.catchUpProjections()

        let dump = try ProjectionDump(path: chunked.path)
        #expect(
            dump == (try ProjectionDump(path: onePass.path)), "seed \(seed): chunked delivery differs from one pass")
        let before = try rawProjectionRows(path: chunked.path)
        try chunked.rebuildProjections()
        #expect(try rawProjectionRows(path: chunked.path) == before, "seed \(seed): rebuild differs")

        let rows = try chunked.runs()
        #expect(rows.map(\.runID).sorted() == runs.map(\.id).sorted(), "seed \(seed)")
        for run in runs {
            let expected = Oracle(events: run.events, prices: prices)
            let row = try #require(rows.first { $0.runID == run.id }, "seed \(seed)")
            #expect(row.steps == expected.steps, "seed \(seed) \(run.id): steps")
            #expect(row.cost.micros == expected.costMicros, "seed \(seed) \(run.id): cost")
            #expect(row.state == expected.state, "seed \(seed) \(run.id): state")
            #expect(row.failureReason == expected.failureReason, "seed \(seed) \(run.id): failure reason")
            #expect(row.reportedSteps == expected.reportedSteps, "seed \(seed) \(run.id): reported steps")
            #expect(row.billingDiscrepancy == expected.discrepancy, "seed \(seed) \(run.id): discrepancy")
            #expect(row.machineID == expected.machineID, "seed \(seed) \(run.id): machine")
            #expect(row.events == Int64(run.events.count), "seed \(seed) \(run.id): events")
        }
        try await expectEveryRunCounted(runs.map { Oracle(events: $0.events, prices: prices) }, in: chunked, seed: seed)
    }

    /// Every run counts in the cost groups, zero-step runs included: by run, machine, state and task
    /// the `runs` column adds up to the number of runs; by day a run counts on each day it took
    /// steps, and a run without steps on the day it started. Steps and cost add up in every grouping,
    /// and the failure reasons' runs to the failed runs.
    private func expectEveryRunCounted(_ oracles: [Oracle], in store: LedgerStore, seed: UInt64) async throws {
        func integer(_ value: SQLValue) -> Int64 { if case .integer(let number) = value { number } else { 0 } }
        for grouping in CostGrouping.allCases {
            let rows = try await store.costRows(by: grouping).rows
            let runs = rows.reduce(0) { $0 + integer($1[1]) }
            let expected = grouping == .day ? oracles.reduce(0) { $0 + max(1, Int64($1.stepDays.count)) } : Int64(oracles.count)
            #expect(runs == expected, "seed \(seed): runs by \(grouping)")
            #expect(rows.reduce(0) { $0 + integer($1[2]) } == oracles.reduce(0) { $0 + $1.steps }, "seed \(seed): steps by \(grouping)")
            #expect(rows.reduce(0) { $0 + integer($1[3]) } == oracles.reduce(0) { $0 + $1.costMicros }, "seed \(seed): cost by \(grouping)")
        }
        let failures = try await store.rows(of: QueryLanguage.compile(CannedReports.failures(), for: .sqlite)).rows
        #expect(
            failures.reduce(0) { $0 + integer($1[1]) } == oracles.filter { $0.failureReason != nil }.count,
            "seed \(seed): failed runs")
    }

    /// Appends every run's events in random chunks of random runs per call, replaying earlier
    /// events now and then (duplicates), redelivering one with other data (a conflict), and
    /// leaving some calls to catch up later (deferred). `midway` runs once, between two calls.
    private func deliver(
        _ runs: [(id: String, events: [RawEvent])], into store: LedgerStore, using random: inout SplitMix,
        midway: () throws -> Void
    ) throws {
        var cursors = Array(repeating: 0, count: runs.count)
        var midwayAfter = random.int(in: 0...runs.reduce(0) { $0 + $1.events.count } / 3)
        while cursors.indices.contains(where: { cursors[$0] < runs[$0].events.count }) {
            if midwayAfter == 0 { try midway() }
            midwayAfter -= 1
            var call: [RunBatch] = []
            for _ in 0..<random.int(in: 1...3) {
                let open = cursors.indices.filter { cursors[$0] < runs[$0].events.count }
                guard !open.isEmpty else { break }
                let index = open[random.int(in: 0...(open.count - 1))]
                let events = runs[index].events
                let cursor = cursors[index]
                let end = min(events.count, cursor + random.int(in: 1...5))
                var batch = Array(events[cursor..<end])
                if cursor > 0, random.int(in: 0...3) == 0 {
                    batch = Array(events[max(0, cursor - random.int(in: 1...3))..<cursor]) + batch
                }
                if cursor > 0, random.int(in: 0...15) == 0 {
                    var conflicting = events[random.int(in: 0...(cursor - 1))]
                    conflicting.data += " "
                    batch.insert(conflicting, at: 0)
                }
                call.append(RunBatch(runID: runs[index].id, events: batch))
                cursors[index] = end
            }
            try store.append(call, projections: random.int(in: 0...4) == 0 ? .deferred : .live)
        }
        if midwayAfter >= 0 { try midway() }
    }
}

/// A run's stream: usually queued, running, steps with chatter, maybe a pause, a terminal state
/// and a result; sometimes cut short, out of time order, without ts, or with odd events.
private func randomRun(_ random: inout SplitMix, start: Int64) -> [RawEvent] {
    var script = RunScript(spacing: 0)
    script.time = start
    func tick() { script.time += Int64(random.int(in: -200...3_000)) * 1_000 }
    let machine = ["m-1", "m-2", "m-6"][random.int(in: 0...2)]
    let identity = #""machine_id":"\#(machine)","task":"task-\#(random.int(in: 1...3))","cua_version":"v4""#
    let identityLater = random.int(in: 0...3) == 0
    if random.int(in: 0...9) > 0 { script.state("queued", identityLater ? "" : identity) }
    tick()
    script.state("running")
    var steps = 0
    // One run in five takes no step at all (failed or cancelled before the first, say).
    let planned = random.int(in: 0...4) == 0 ? 0 : max(1, random.int(in: 0...8))
    for number in (0..<planned).map({ $0 + 1 }) where random.int(in: 0...8) > 0 {
        tick()
        steps += 1
        switch random.int(in: 0...9) {
        case 0: script.add("step", #"{"state":"running","step":\#(number),"message":"no ts \"here\""}"#)
        case 1:
            script.add(
                "message",
                #"{"event":"step","step":\#(number),"action":{"type":"scroll"},"ts":"\#(UTCTime.format(script.time))"}"#
            )
        default: script.step(number, action: ["click", "type", "screenshot"][random.int(in: 0...2)])
        }
        if random.int(in: 0...5) == 0 {
            tick()
            script.message("chatter")
        }
        if identityLater, number == 1 {
            script.add("message", "{\(identity)}")
        }
        if random.int(in: 0...7) == 0 {
            tick()
            script.state("awaiting_human")
            tick()
            script.state("running")
        }
    }
    if random.int(in: 0...12) == 0 { script.add("heartbeat", "not json at all") }
    guard random.int(in: 0...7) > 0 else { return script.events }
    let ending = ["succeeded", "failed", "cancelled", "timed_out"][random.int(in: 0...3)]
    tick()
    if random.int(in: 0...9) > 0 { script.state(ending) }
    guard random.int(in: 0...9) > 0 else { return script.events }
    let errors = ["null", #"{"code":"captcha","message":"x"}"#, #""Page did not load""#, #"{"message":"x"}"#, #""""#]
    let reported = random.int(in: 0...4) == 0 ? steps + random.int(in: -1...2) : steps
    tick()
    script.result(ending, steps: max(0, reported), error: errors[random.int(in: 0...(errors.count - 1))])
    return script.events
}

/// What each run's row must say, computed from its events alone with plain JSONValue reads.
private struct Oracle {
    var steps: Int64 = 0
    var costMicros: Int64 = 0
    /// The UTC days (since 1970) on which the run took steps.
    var stepDays: Set<Int64> = []
    var state: String?
    var failureReason: String?
    var reportedSteps: Int64?
    var machineID: String?
    var discrepancy: Bool { reportedSteps != nil && reportedSteps != steps }

    init(events: [RawEvent], prices: [(from: Int64, micros: Int64)]) {
        var error: String?
        for event in events {
            let json = try? JSONValue.parse(event.data)
            let type = json?["event"]?.stringValue ?? event.type
            let at = json?["ts"]?.stringValue.flatMap(UTCTime.parse) ?? event.receivedAt
            if let state = json?["state"]?.stringValue { self.state = state }
            if machineID == nil { machineID = json?["machine_id"]?.stringValue }
            if type == "step" {
                steps += 1
                stepDays.insert(at >= 0 ? at / 86_400_000_000 : (at + 1) / 86_400_000_000 - 1)
                costMicros += prices.filter { $0.from <= at }.max { $0.from < $1.from }?.micros ?? 50_000
            }
            if type == "result" {
                reportedSteps = json?["result"]?["steps"]?.intValue
                switch json?["result"]?["error"] {
                case .object(let members)?: error = members.first { $0.0 == "code" }?.1.stringValue
                case .string(let text)?: error = text
                default: error = nil
                }
                if error == "" { error = nil }
            }
        }
        switch state {
        case "failed": failureReason = error ?? "unknown"
        case "cancelled", "timed_out": failureReason = error ?? state
        default: failureReason = nil
        }
    }
}
