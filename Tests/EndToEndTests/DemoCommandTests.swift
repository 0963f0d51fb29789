// `ledgerctl demo` end to end: it starts its own simulator, creates and ingests runs through
// faults, prints the reports, and a second demo on the same store adds nothing.

import Foundation
import Ledger
import LedgerTestSupport
import Testing

@Suite struct DemoCommandTests {
    @Test func demoIngestsEveryRunPrintsReportsAndAddsNothingTheSecondTime() async throws {
        let scratch = try ScratchDirectory()
        let db = scratch.path("demo.sqlite")
        let first = try await ledgerctl(["demo", "--runs", "12", "--db", db])
        #expect(first.status == 0, "\(first.stderr)")
        for heading in ["== runs", "== cost by machine", "== failures by reason", "== billing discrepancies"] {
            #expect(first.stdout.contains(heading), "missing \(heading)")
        }
        #expect(first.stdout.contains("cost_usd"))
        let store = try LedgerStore(path: db, create: false)
        let runs = try store.runs()
        #expect(runs.count == 12)
        #expect(runs.allSatisfy { ["succeeded", "failed", "cancelled", "timed_out"].contains($0.state ?? "") })
        #expect(runs.allSatisfy { $0.machineID != nil && $0.task != nil })
        #expect(try store.verify().isIntact)
        let events = try store.streams().reduce(0) { $0 + $1.eventCount }

        let second = try await ledgerctl(["demo", "--runs", "12", "--db", db])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains(" 0 new events"), "\(second.stderr)")
        #expect(try store.streams().reduce(0) { $0 + $1.eventCount } == events)
    }
}
