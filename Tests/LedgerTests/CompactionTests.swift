// Compaction keeps every event byte for byte and changes nothing a reader sees: events, the
// event_log view, timelines, steps, transitions, reports and rebuilt projections are the same
// before and after; re-appending an archived run adds nothing; new events never reuse a seq.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct CompactionTests {
    let scratch: ScratchDirectory
    let store: LedgerStore
    let runIDs = ["run-ok", "run-failed", "run-odd", "run-live"]

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        try store.append(RunScript.run(machine: "m-1", steps: 6), to: "run-ok")
        try store.append(
            RunScript.run(
                machine: "m-2", steps: 3, ending: "failed", reportedSteps: 4, error: #"{"code":"captcha"}"#,
                start: "2026-11-03T10:00:00Z"),
            to: "run-failed")
        try store.append(oddEvents, to: "run-odd")
        var live = RunScript(start: "2026-11-04T08:00:00Z")
        live.state("queued", #""machine_id":"m-3""#)
        live.state("running")
        live.step(1)
        try store.append(live.events, to: "run-live")
    }

    /// Data that exercises every corner of the archive format, ending in a terminal state.
    private var oddEvents: [RawEvent] {
        let texts = [
            "", "not json at all", "\u{01}\u{02}\u{03} control bytes \u{03}\u{01}", "0042 00 0 7 007",
            "12345678901234567890 123456789012345678 1234567890123456789", "line one\nline two\r\nline three",
            #"{"ts":"2026-02-30T10:00:00.000Z","ts2":"2026-11-02T09:00:00.123456Z","t":"2026-11-02T09:00:01.000Z9"}"#,
            #"{"ünïcödé":"日本語 🚀","n":-17,"f":3.25e-4,"ts":"1970-01-01T00:00:00.000Z"}"#,
            "2026-11-02T09:00:00.000Z2026-11-02T09:00:00.001Z", "9999-12-31T23:59:59.999Z 0000-01-01T00:00:00.000Z",
            #"{"event":"state","state":"succeeded","ts":"2026-11-02T09:05:00.000Z"}"#,
        ]
        let ids = ["1", "2", "2#1", "2#2", "3", "e-0099", "e-0100", "", "18446744073709551616", "x", "99"]
        let times: [Int64] = [0, -5, 1_790_000_000_000_000, 1_790_000_000_000_001, 7, 7, .max, .min, 42, 41, 40]
        return texts.indices.map { index in
            RawEvent(
                eventID: ids[index], type: ["message", "step", "weird type", ""][index % 4], data: texts[index],
                receivedAt: times[index])
        }
    }

    /// Everything a reader of the store sees, for comparing before and after compaction.
    private func snapshot() throws -> [String] {
        var lines: [String] = []
        for runID in runIDs {
            lines += try store.events(of: runID).map { "\($0)" }
            lines += try store.timeline(of: runID).map { "\($0)" }
            lines += try store.steps(of: runID).map { "\($0)" }
            lines += try store.transitions(of: runID).map { "\($0)" }
            lines.append("\(try store.lastEvent(of: runID).map { "\($0)" } ?? "none")")
            lines.append("\(try store.stream(of: runID).map { "\($0)" } ?? "none")")
        }
        lines += try store.runs().map { "\($0)" }
        for table in ["runs ORDER BY run_key", "steps ORDER BY run_key, position", "transitions ORDER BY run_key, seq"] {
            lines += try store.rows("SELECT * FROM \(table)").map { $0.joined(separator: "|") }
        }
        return lines
    }

    private func eventLog() throws -> [[String]] {
        try store.rows("SELECT seq, run_key, run_id, event_id, type, data, received_at FROM event_log ORDER BY seq")
    }

    @Test func compactionChangesNothingAReaderSees() throws {
        let before = try snapshot()
        let log = try eventLog()
        let summary = try store.compact(before: .max)
        #expect(summary.runs == 3)
        #expect(summary.events == 10 + 7 + oddEvents.count)
        #expect(summary.refused.isEmpty)
        #expect(try store.rows("SELECT count(*) FROM events") == [["3"]], "the live run stays live")
        #expect(try snapshot() == before)
        #expect(try eventLog() == log)
        #expect(try store.verify().isIntact)
    }

    @Test func eventLogEqualsTheEventsTableBeforeCompaction() throws {
        let events = try store.rows(
            """
            SELECT e.seq, e.run_key, s.run_id, e.event_id, e.type, e.data, e.received_at
            FROM events e JOIN streams s USING (run_key) ORDER BY e.seq
            """)
        #expect(try eventLog() == events)
        try store.compact(before: .max)
        #expect(try eventLog() == events)
    }

    @Test func compactingAgainDoesNothing() throws {
        try store.compact(before: .max)
        let again = try store.compact(before: .max)
        #expect(again.runs == 0)
        #expect(again.events == 0)
    }

    @Test func runsLastSeenAfterTheCutoffStayLive() throws {
        let summary = try store.compact(before: try #require(UTCTime.parse("2026-11-02T09:00:05Z")))
        #expect(summary.runs == 1, "only run-odd's events all arrived before the cutoff")
        #expect(try store.rows("SELECT count(*) FROM archives") == [["1"]])
    }

    @Test func reappendingAnArchivedRunAddsNothingAndAChangeIsAConflict() throws {
        let events = RunScript.run(machine: "m-1", steps: 6)
        try store.compact(before: .max)
        #expect(try store.append(events, to: "run-ok") == AppendOutcome(duplicate: events.count))
        #expect(try store.append(oddEvents, to: "run-odd") == AppendOutcome(duplicate: oddEvents.count))

        var changed = events[3]
        changed.data = changed.data.replacingOccurrences(of: "Clicked", with: "Typed")
        let extra = RawEvent(eventID: "99", type: "message", data: #"{"message":"late"}"#, receivedAt: 5)
        #expect(try store.append([changed, extra], to: "run-ok") == AppendOutcome(new: 1, conflict: 1))
        #expect(try store.append([changed, extra], to: "run-ok") == AppendOutcome(duplicate: 1, conflict: 1))
        let report = try store.verify()
        #expect(report.problems.map(\.kind) == [.conflict])
        #expect(report.problems.map(\.eventID) == ["4"])
        #expect(try store.timeline(of: "run-ok").map(\.eventID) == events.map(\.eventID) + ["99"])
    }

    @Test func newEventsNeverReuseTheSeqOfAnArchivedOne() throws {
        try store.append(RunScript.run(steps: 1, start: "2026-11-05T00:00:00Z"), to: "run-late")
        let highest = try store.rows("SELECT max(seq) FROM events")
        try store.compact(before: .max)
        #expect(try store.rows("SELECT count(*) FROM events") == [["3"]], "only run-live's events stay live")
        #expect(try store.rows("SELECT max(seq) FROM events") != highest, "the run with the highest seq is archived")
        try store.append(RunScript.run(steps: 2), to: "run-new")
        try store.append(RunScript.run(steps: 2, start: "2026-11-06T00:00:00Z"), to: "run-newer")
        let seqs = try store.rows("SELECT seq FROM event_log ORDER BY seq").map { $0[0] }
        #expect(Set(seqs).count == seqs.count)
        #expect(try store.rows("SELECT min(seq) - 1 FROM events WHERE run_key > 4") == highest)
        #expect(try store.steps(of: "run-new").count == 2, "the new events were projected")
        #expect(try store.verify().isIntact)
    }

    @Test func anotherWriterSeesTheArchiveAtItsNextAppend() throws {
        let other = try LedgerStore(path: store.path)
        let events = RunScript.run(machine: "m-1", steps: 6)
        #expect(try other.append(events, to: "run-ok") == AppendOutcome(duplicate: events.count))
        try store.compact(before: .max)
        let late = RawEvent(eventID: "11", type: "message", data: #"{"message":"late"}"#, receivedAt: 3)
        #expect(try other.append(events + [late], to: "run-ok") == AppendOutcome(new: 1, duplicate: events.count))
        #expect(try store.rows("SELECT count(*) FROM events WHERE event_id <> '11' AND run_key = 1") == [["0"]])
        #expect(try store.verify().isIntact)
    }

    @Test func rebuildAfterCompactionGivesIdenticalProjections() throws {
        try store.compact(before: .max)
        try store.append(
            [
                .annotation(
                    eventID: "ledger:cancel:1", type: "ledger.operator", data: #"{"actor":"ops"}"#, receivedAt: 9)
            ],
            to: "run-ok")
        let before = try rawProjectionRows(path: store.path)
        let summary = try store.rebuildProjections()
        #expect(summary.events == 10 + 7 + oddEvents.count + 3 + 1)
        #expect(try rawProjectionRows(path: store.path) == before)
    }

    @Test func anEventAddedAfterTheArchiveChainsOnFromIt() throws {
        try store.compact(before: .max)
        try store.append(
            [
                .annotation(
                    eventID: "ledger:resume:2", type: "ledger.operator", data: #"{"actor":"ops"}"#, receivedAt: 9)
            ],
            to: "run-failed")
        #expect(try store.verify().isIntact)
        let events = try store.events(of: "run-failed")
        #expect(events.map(\.eventID).last == "ledger:resume:2")
        #expect(try store.lastEvent(of: "run-failed")?.hash == events.last?.hash)
        #expect(try store.timeline(of: "run-failed").last?.type == "ledger.operator")
    }

    @Test(arguments: 0..<12)
    func randomRunsComeBackByteForByte(iteration: Int) throws {
        let seed = 0xA7C4_1000 + UInt64(iteration)
        var random = SplitMix(seed: seed)
        let store = try LedgerStore(path: scratch.path("random-\(seed).sqlite"))
        let runs = (0..<random.int(in: 1...5)).map { index in
            (id: "run-\(index)", events: randomEvents(&random))
        }
        for run in runs { try store.append(run.events, to: run.id) }
        let before = try runs.map { try store.events(of: $0.id) }
        try store.compact(before: .max)
        #expect(try runs.map { try store.events(of: $0.id) } == before, "seed \(seed)")
        #expect(try store.verify().isIntact, "seed \(seed)")
    }

    /// A terminal run of random events: ids, types, arrival times and data with random bytes,
    /// digits, timestamps and markers.
    private func randomEvents(_ random: inout SplitMix) -> [RawEvent] {
        let pieces = [
            "\u{01}", "\u{02}", "\u{03}", "0", "00", "1", "42", "0042", "18446744073709551615", "-", "T", ":", "Z",
            "\"ts\":\"", "2026-11-02T09:00:00.000Z", "2026-11-02T09:00:00.5Z", "é", "\n", "{", "}", ",", " ", "a",
        ]
        var events = (0..<random.int(in: 1...40)).map { index in
            RawEvent(
                eventID: random.int(in: 0...3) == 0 ? "k\(random.int(in: 0...9))-\(index)" : "\(index + 1)",
                type: ["step", "state", "message", "x"][random.int(in: 0...3)],
                data: (0..<random.int(in: 0...30)).map { _ in pieces[random.int(in: 0...(pieces.count - 1))] }
                    .joined(),
                receivedAt: Int64(random.int(in: -1_000_000...1_000_000)) * Int64(random.int(in: 1...1_000_000)))
        }
        events.append(
            RawEvent(
                eventID: "end", type: "state", data: #"{"event":"state","state":"failed"}"#,
                receivedAt: Int64(random.int(in: 0...9))))
        return events
    }
}

extension LedgerStore {
    /// Every row `sql` returns, as text, read through a connection set up as the store sets up its
    /// own (with the function `event_log` needs).
    func rows(_ sql: String) throws -> [[String]] {
        var configuration = Configuration()
        configuration.prepareDatabase { try LedgerStore.prepare($0) }
        return try DatabaseQueue(path: path, configuration: configuration).read { db in
            try Row.fetchAll(db, sql: sql).map { row in
                row.databaseValues.map { String.fromDatabaseValue($0) ?? $0.description }
            }
        }
    }
}
