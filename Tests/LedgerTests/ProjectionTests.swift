// The projections as events arrive: what a run's row, steps and state intervals say, that an
// append is in every report as soon as it returns, that duplicates and conflicts change nothing,
// that deferred appends are caught up, and that event data is read exactly as JSONValue reads it.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct ProjectionTests {
    let scratch: ScratchDirectory
    let store: LedgerStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
    }

    /// queued 2 s, running, 3 steps, awaiting_human 90 s, running, 2 steps, succeeded, result.
    private func pausedRun() -> [RawEvent] {
        var script = RunScript(start: "2026-11-02T09:14:00Z")
        script.state("queued", #""machine_id":"m-3","task":"refund","cua_version":"v4""#)
        script.wait(1)
        script.state("running")
        for number in 1...3 { script.step(number) }
        script.state("awaiting_human")
        script.wait(89)
        script.state("running")
        for number in 4...5 { script.step(number) }
        script.state("succeeded")
        script.result("succeeded", steps: 5)
        return script.events
    }

    @Test func runRowSummarizesARunWithAPause() throws {
        try store.append(pausedRun(), to: "run-a")
        let run = try #require(try store.run("run-a"))
        let start = try #require(UTCTime.parse("2026-11-02T09:14:00Z"))
        #expect(run.state == "succeeded")
        #expect(run.machineID == "m-3")
        #expect(run.task == "refund")
        #expect(run.cuaVersion == "v4")
        #expect(run.steps == 5)
        #expect(run.cost == Money(micros: 250_000))
        #expect(run.firstEventAt == start)
        #expect(run.startedAt == start + 2_000_000)
        #expect(run.queueWaitMicros == 2_000_000)
        #expect(run.awaitingHumanMicros == 90_000_000)
        #expect(run.endedAt == start + 99_000_000)
        #expect(run.durationMicros == 97_000_000)
        #expect(run.lastEventAt == start + 100_000_000)
        #expect(run.failureReason == nil)
        #expect(run.reportedSteps == 5)
        #expect(!run.billingDiscrepancy)
        #expect(run.events == 11)
        #expect(run.lastEventID == "11")
    }

    @Test func transitionsRecordEveryStateIntervalWithItsLength() throws {
        try store.append(pausedRun(), to: "run-a")
        let intervals = try store.transitions(of: "run-a")
        #expect(intervals.map(\.state) == ["queued", "running", "awaiting_human", "running", "succeeded"])
        #expect(intervals.map(\.position) == [1, 2, 6, 7, 10])
        #expect(intervals.map(\.durationMicros) == [2_000_000, 4_000_000, 90_000_000, 3_000_000, nil])
        #expect(intervals.last?.endedAt == nil)
        #expect(zip(intervals, intervals.dropFirst()).allSatisfy { $0.endedAt == $1.startedAt })
    }

    @Test func stepsRecordActionMessageAndGapSinceThePreviousStep() throws {
        var script = RunScript()
        script.state("running")
        script.step(1, action: "screenshot", message: "Took a screenshot")
        script.wait(4)
        script.step(2, action: "type", message: #"Typed \"INV-1\" \u00e9"#)
        try store.append(script.events, to: "run-a")
        let steps = try store.steps(of: "run-a")
        #expect(steps.map(\.step) == [1, 2])
        #expect(steps.map(\.position) == [2, 3])
        #expect(steps.map(\.actionType) == ["screenshot", "type"])
        #expect(steps.map(\.message) == ["Took a screenshot", #"Typed "INV-1" é"#])
        #expect(steps.map(\.gapMicros) == [nil, 5_000_000])
        #expect(steps.map(\.price) == [Money(micros: 50_000), Money(micros: 50_000)])
    }

    @Test(arguments: [
        ("failed", #"{"code":"element_not_found","message":"No button"}"#, "element_not_found"),
        ("failed", #""Login page did not load""#, "Login page did not load"),
        ("failed", "null", "unknown"),
        ("failed", #"{"message":"no code here"}"#, "unknown"),
        ("cancelled", "null", "cancelled"),
        ("timed_out", "null", "timed_out"),
        ("timed_out", #"{"code":"deadline_exceeded"}"#, "deadline_exceeded"),
    ])
    func failureReasonFollowsTheResultErrorThenTheTerminalState(ending: String, error: String, reason: String) throws {
        try store.append(RunScript.run(steps: 2, ending: ending, error: error), to: "run-a")
        #expect(try store.run("run-a")?.failureReason == reason)
    }

    @Test func succeededAndUnfinishedRunsHaveNoFailureReason() throws {
        try store.append(RunScript.run(steps: 2, error: #"{"code":"ignored"}"#), to: "run-a")
        try store.append(Array(RunScript.run(steps: 2).prefix(3)), to: "run-b")
        #expect(try store.runs().map(\.failureReason) == [nil, nil])
        #expect(try store.run("run-b")?.state == "running")
    }

    @Test func failureReasonFollowsAResultThatArrivesInALaterAppend() throws {
        let events = RunScript.run(steps: 1, ending: "failed", error: #"{"code":"captcha"}"#)
        try store.append(Array(events.dropLast()), to: "run-a")
        #expect(try store.run("run-a")?.failureReason == "unknown")
        try store.append(events, to: "run-a")
        #expect(try store.run("run-a")?.failureReason == "captcha")
    }

    @Test func reportsIncludeAnAppendAsSoonAsItReturns() throws {
        let events = pausedRun()
        for (index, event) in events.enumerated() {
            try store.append([event], to: "run-a")
            let checkpoints = try store.projectionCheckpoints()
            #expect(
                checkpoints == ["runs": Int64(index + 1), "steps": Int64(index + 1), "transitions": Int64(index + 1)])
            #expect(try store.run("run-a")?.events == Int64(index + 1))
        }
        #expect(try ProjectionDump(path: store.path) == rebuiltDump())
    }

    @Test func duplicatesAndConflictsChangeNothing() throws {
        let events = pausedRun()
        try store.append(events, to: "run-a")
        let before = try rawProjectionRows(path: store.path)
        var changed = events[4]
        changed.data = changed.data.replacingOccurrences(of: "Clicked", with: "Typed")
        let outcome = try store.append(Array(events[2...]) + [changed], to: "run-a")
        #expect(outcome == AppendOutcome(duplicate: events.count - 2, conflict: 1))
        #expect(try rawProjectionRows(path: store.path) == before)
    }

    @Test func deferredAppendsAreCaughtUpByTheNextReport() throws {
        try store.append(pausedRun(), to: "run-a", projections: .deferred)
        #expect(try store.projectionCheckpoints()["runs"] == 0)
        #expect(try rawProjectionRows(path: store.path).isEmpty)
        #expect(try store.runs().map(\.steps) == [5])
        #expect(try store.projectionCheckpoints()["runs"] == 11)
    }

    @Test func liveAppendAfterDeferredOnesCatchesUpFirst() throws {
        try store.append(RunScript.run(steps: 3), to: "run-a", projections: .deferred)
        try store.append(RunScript.run(steps: 2), to: "run-b")
        #expect(try store.projectionCheckpoints()["steps"] == 13)
        let dump = try ProjectionDump(path: store.path)
        #expect(dump.runs.map { $0[0] } == ["run-a", "run-b"])
        #expect(dump.steps.count == 5)
        #expect(dump == (try rebuiltDump()))
    }

    @Test func appendsFromTwoConnectionsKeepProjectionsEqualToARebuild() throws {
        let other = try LedgerStore(path: store.path)
        let events = pausedRun()
        for (index, event) in events.enumerated() {
            try (index % 2 == 0 ? store : other).append([event], to: "run-a")
            try (index % 3 == 0 ? other : store).append(
                [event], to: "run-b", projections: index % 4 == 0 ? .deferred : .live)
        }
        try store.catchUpProjections()
        #expect(try ProjectionDump(path: store.path) == rebuiltDump())
        #expect(try other.runs().map(\.steps) == [5, 5])
    }

    @Test func rebuildRecreatesEveryRowIdentically() throws {
        try store.append(pausedRun(), to: "run-a")
        try store.append(RunScript.run(steps: 4, ending: "failed", reportedSteps: 3), to: "run-b")
        let before = try rawProjectionRows(path: store.path)
        var reported: [(Int, Int)] = []
        let summary = try store.rebuildProjections(progressInterval: 5) { reported.append(($0, $1)) }
        #expect([summary.runs, summary.events, summary.steps] == [Int](arrayLiteral: 2, 19, 9))
        #expect(reported.map(\.0) == [5, 10, 15, 19])
        #expect(reported.last?.1 == 19)
        #expect(try rawProjectionRows(path: store.path) == before)
        #expect(try store.projectionCheckpoints()["runs"] == 19)
    }

    @Test func eventsWithoutJSONOrTsUseTheSSETypeAndArrivalTime() throws {
        let events = [
            RawEvent(eventID: "1", type: "step", data: "not json", receivedAt: 1_000),
            RawEvent(eventID: "2", type: "step", data: #"{"step":2,"ts":"yesterday"}"#, receivedAt: 3_000),
            RawEvent(eventID: "3", type: "message", data: #"{"event":"step","step":3}"#, receivedAt: 7_000),
            RawEvent(eventID: "4", type: "step", data: #"{"event":"heartbeat"}"#, receivedAt: 9_000),
        ]
        try store.append(events, to: "run-a")
        let steps = try store.steps(of: "run-a")
        #expect(steps.map(\.at) == [1_000, 3_000, 7_000])
        #expect(steps.map(\.step) == [nil, 2, 3])
        #expect(steps.map(\.gapMicros) == [nil, 2_000, 4_000])
        let run = try #require(try store.run("run-a"))
        #expect(run.state == nil)
        #expect(run.events == 4)
    }

    @Test func machineTaskAndVersionComeFromTheFirstEventThatHasThem() throws {
        var script = RunScript()
        script.state("queued", #""machine_id":null,"task":"refund""#)
        script.add("message", #"{"event":"message","machine_id":"m-2","cua_version":"v3"}"#)
        script.add("message", #"{"event":"message","machine_id":"m-9","task":"other","cua_version":"v4"}"#)
        try store.append(script.events, to: "run-a")
        let run = try #require(try store.run("run-a"))
        #expect([run.machineID, run.task, run.cuaVersion] == ["m-2", "refund", "v3"])
    }

    /// Random documents, some broken, each one run's only event: the projections must see the type,
    /// time, state, step, message and action type that JSONValue.parse and EventFacts see.
    @Test func projectorReadsEventDataExactlyAsJSONValueDoes() throws {
        var random = SplitMix(seed: 0x5CA7)
        let documents = (0..<400).map { _ in randomDocument(&random) }
        try store.append(
            documents.enumerated().map { index, data in
                RunBatch(
                    runID: String(format: "doc-%03d", index),
                    events: [
                        RawEvent(eventID: "1", type: index % 3 == 0 ? "step" : "message", data: data, receivedAt: 77)
                    ])
            })
        let runs = try store.runs()
        #expect(runs.count == documents.count)
        for (index, data) in documents.enumerated() {
            let sseType = index % 3 == 0 ? "step" : "message"
            let json = try? JSONValue.parse(data)
            let facts = EventFacts(sseType: sseType, data: data, receivedAt: 77)
            let runID = String(format: "doc-%03d", index)
            let run = try #require(runs.first { $0.runID == runID })
            let steps = try store.steps(of: runID)
            #expect(run.state == facts.state, "\(data)")
            #expect(run.firstEventAt == facts.at, "\(data)")
            #expect(run.machineID == json?["machine_id"]?.stringValue, "\(data)")
            #expect(steps.count == (facts.type == "step" ? 1 : 0), "\(data)")
            if let step = steps.first {
                #expect(step.step == facts.step, "\(data)")
                #expect(step.message == facts.message, "\(data)")
                #expect(step.actionType == json?["action"]?["type"]?.stringValue, "\(data)")
            }
        }
    }

    private func rebuiltDump() throws -> ProjectionDump {
        let copy = scratch.path("rebuilt.sqlite")
        try? FileManager.default.removeItem(atPath: copy)
        try DatabaseQueue(path: store.path).backup(to: DatabaseQueue(path: copy))
        try LedgerStore(path: copy).rebuildProjections()
        return try ProjectionDump(path: copy)
    }
}

/// A small JSON object of documented and stray members, with escapes, duplicates, nesting and
/// whitespace, and now and then a corrupted byte.
private func randomDocument(_ random: inout SplitMix) -> String {
    let keys = ["event", "state", "step", "message", "ts", "action", "machine_id", "st\\u0061te", "eve\\u006et", "x"]
    let strings = [
        #""step""#, #""running""#, #""a \"quoted\" \u00e9 \ud83d\ude00 text""#, #""2026-11-02T09:00:01.5Z""#,
        #""2026-11-02T10:00:00+01:00""#, #""m-1""#, #""st\u0065p""#, #""""#, #""\ud800 lone""#,
        #""a message longer than eight bytes \" with an escaped quote past them""#, #""exactly8""#,
        "\"a long message with a raw\ttab, which JSON forbids\"", #""ééééééééé, a long non-ASCII run""#,
        #""2026-11-02T09:00:01.500Z""#, #""2026-11-02T09:00:01Z""#, #""2026-13-02T09:00:01.500Z""#,
        #""2026-11-02T24:00:01Z""#, #""2026-11-02t09:00:01.500Z""#, #""2026-11-02T09:00:01.5x0Z""#,
    ]
    let others = [
        "7", "-0", "3.0", "1e2", "12.5", "null", "true", "[1,{\"event\":\"step\"}]", #"{"type":"click"}"#,
        #"{"type":5}"#,
    ]
    var members: [String] = []
    for _ in 0..<random.int(in: 0...6) {
        let key = keys[random.int(in: 0...(keys.count - 1))]
        let value =
            random.int(in: 0...1) == 0
            ? strings[random.int(in: 0...(strings.count - 1))] : others[random.int(in: 0...(others.count - 1))]
        members.append("\"\(key)\"\(random.int(in: 0...3) == 0 ? " : " : ":")\(value)")
    }
    var text = "{" + members.joined(separator: random.int(in: 0...3) == 0 ? " ,\n" : ",") + "}"
    if random.int(in: 0...5) == 0, !text.isEmpty {
        var bytes = Array(text.utf8)
        bytes[random.int(in: 0...(bytes.count - 1))] = Array("{}[]\",:\\ax0".utf8)[random.int(in: 0...10)]
        text = String(decoding: bytes, as: UTF8.self)
    }
    return random.int(in: 0...20) == 0 ? "[" + text + "]" : text
}
