// `ledgerctl migrate-store` end to end: a SQLite store with archived runs and a conflict is
// copied into PostgreSQL hash for hash (archived runs archived there too, every report the same),
// an interrupted copy is completed by running it again, and a copy that no longer matches is
// refused with exit 3.

import Foundation
import Ledger
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
struct MigrateStoreCommandTests {
    let scratch: ScratchDirectory
    let db: String

    init() throws {
        scratch = try ScratchDirectory()
        db = scratch.path("ledger.sqlite")
    }

    @Test func copyKeepsEveryEventHashAndResumePointAndResumesAfterAnInterruption() async throws {
        let runs = try await storeSimulatedRuns(runs: 30, steps: 3...20, seed: 31, db: db)
        let compact = try await ledgerctl(["compact", "--older-than", "30d", "--db", db])
        #expect(compact.status == 0, "\(compact.stderr)")
        let source = try LedgerStore(path: db, create: false)
        var changed = try #require(try source.events(of: runs[1]).last)
        changed.data += " "
        try source.append(
            [RawEvent(eventID: changed.eventID, type: changed.type, data: changed.data, receivedAt: changed.receivedAt)],
            to: runs[1])

        // What an interrupted copy leaves: the first events of one run.
        let postgres = try await TestPostgres.makeDatabase()
        let partial = try source.events(of: runs[0]).prefix(3).map {
            RawEvent(eventID: $0.eventID, type: $0.type, data: $0.data, receivedAt: $0.receivedAt)
        }
        try await PostgresStore(url: postgres).append([RunBatch(runID: runs[0], events: partial)])

        let copy = try await ledgerctl(["migrate-store", "--from", db, "--to", postgres])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(copy.stderr.contains("copy verified"))
        let target = try await PostgresStore(url: postgres)
        for run in runs {
            #expect(try await target.events(of: run) == source.events(of: run), "run \(run)")
            #expect(try await target.stream(of: run)?.resumeID == source.stream(of: run)?.resumeID)
        }
        #expect(try await target.conflicts() == source.conflicts())
        let archived = try source.archivedRunIDs()
        #expect(!archived.isEmpty)
        #expect(try await target.archivedRunIDs() == archived)
        try await expectSameReports(
            [
                ["runs"], ["cost", "--by", "day"], ["failures", "--by", "machine"], ["timeline", runs[2]],
                ["query", "events | summarize n = count() by run_id | sort by run_id"],
            ], sqlite: db, postgres: postgres)

        let again = try await ledgerctl(["migrate-store", "--from", db, "--to", postgres])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("(30 already copied)"))
    }

    @Test func copyThatDiffersFromTheSourceIsRefused() async throws {
        let runs = try await storeSimulatedRuns(runs: 4, steps: 3...8, seed: 32, db: db)
        let postgres = try await TestPostgres.makeDatabase()
        // The target already holds one of the runs with other content under the same keys.
        let source = try LedgerStore(path: db, create: false)
        let other = try source.events(of: runs[2]).map {
            RawEvent(eventID: $0.eventID, type: $0.type, data: $0.data + " ", receivedAt: $0.receivedAt)
        }
        try await PostgresStore(url: postgres).append([RunBatch(runID: runs[2], events: other)])
        let copy = try await ledgerctl(["migrate-store", "--from", db, "--to", postgres])
        #expect(copy.status == 3)
        #expect(copy.stderr.contains("run \(runs[2])"))
    }
}
