// The ingest writer writes a full batch while workers queue the next: every run's events still
// land once and in stream order, and a write that fails leaves its events queued for the next.

import Foundation
import GRDB
import Ingest
import Ledger
import LedgerTestSupport
import Testing

@Suite struct EventWriterTests {
    let scratch: ScratchDirectory
    let store: LedgerStore
    let runs: [RunBatch]

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        runs = (0..<12).map { index in
            RunBatch(runID: "run-\(index)", events: RunScript.run(steps: 10 + index, start: "2026-11-02T09:00:00Z"))
        }
    }

    /// Submits every run's events a few at a time, the runs interleaved, as stream workers do.
    private func submitInterleaved(to writer: EventWriter) async throws {
        let longest = runs.map(\.events.count).max() ?? 0
        for start in stride(from: 0, to: longest, by: 3) {
            for run in runs where start < run.events.count {
                try await writer.submit(Array(run.events[start..<min(start + 3, run.events.count)]), of: run.runID)
            }
        }
    }

    @Test func overlappingWritesKeepEveryRunInStreamOrder() async throws {
        let writer = EventWriter(store: store, maxPending: 17)
        try await submitInterleaved(to: writer)
        try await writer.flush()
        for run in runs {
            #expect(try store.events(of: run.runID).map(\.eventID) == run.events.map(\.eventID))
        }
        #expect(await writer.totals.new == runs.reduce(0) { $0 + $1.events.count })
        #expect(try store.verify().problems.isEmpty)
    }

    @Test func aFailedWriteKeepsItsEventsQueuedForTheNextFlush() async throws {
        let switchboard = try DatabaseQueue(path: store.path)
        try await switchboard.write { db in
            try db.execute(sql: """
                CREATE TABLE refuse_appends (reason TEXT);
                CREATE TRIGGER refuse_while_switched_on BEFORE INSERT ON events
                WHEN EXISTS (SELECT 1 FROM refuse_appends)
                BEGIN SELECT RAISE(ABORT, 'appends are switched off'); END;
                INSERT INTO refuse_appends VALUES ('test');
                """)
        }
        let writer = EventWriter(store: store, maxPending: 1_000_000)
        try await submitInterleaved(to: writer)
        await #expect(throws: (any Error).self) { try await writer.flush() }
        #expect(try store.streams().allSatisfy { $0.eventCount == 0 })

        try await switchboard.write { try $0.execute(sql: "DELETE FROM refuse_appends") }
        try await writer.flush()
        for run in runs {
            #expect(try store.events(of: run.runID).map(\.eventID) == run.events.map(\.eventID))
        }
        #expect(await writer.totals.new == runs.reduce(0) { $0 + $1.events.count })
    }
}
