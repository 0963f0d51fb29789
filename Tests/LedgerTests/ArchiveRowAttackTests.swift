// Archive rows that lie about their sizes and counts, each an attack reproduced on the build
// before the limits: a raw size of 2^62 (an overflow trap), a header claiming 2^40 events (a 17 TB
// allocation), a small blob claiming 600 MB (gigabytes inflated). Each is now a `corrupt_archive`
// problem in verify and a clear error in every other reader, and the other runs read on.

import Foundation
import Ledger
import LedgerTestSupport
import Testing

@Suite struct ArchiveRowAttackTests {
    let scratch: ScratchDirectory
    let store: LedgerStore
    let rows: ArchiveRows
    let original: ArchiveRows.Fields

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        try store.append(RunScript.run(steps: 4, start: "2026-11-02T09:00:00Z"), to: "run-a")
        try store.append(RunScript.run(steps: 5, start: "2026-11-03T09:00:00Z"), to: "run-b")
        try store.compact(before: .max)
        rows = try ArchiveRows(path: store.path)
        original = try #require(try rows.fields(of: "run-b"))
    }

    /// Every reader of run-b's archive fails with a clear error naming the run; run-a reads on.
    private func expectOnlyRunBIsRefused(detail: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let report = try store.verify()
        #expect(report.problems.map(\.runID) == ["run-b"], sourceLocation: sourceLocation)
        #expect(report.problems.map(\.kind) == [.corruptArchive], sourceLocation: sourceLocation)
        #expect(
            report.problems.first?.detail.contains(detail) == true, "\(report.problems.map(\.detail))",
            sourceLocation: sourceLocation)
        // A fresh store: each connection keeps the archives it has decoded.
        let reader = try LedgerStore(path: store.path)
        for read in [
            { _ = try reader.timeline(of: "run-b") },
            { _ = try reader.events(of: "run-b") },
            { _ = try reader.rows(sql: "SELECT count(*) FROM event_log WHERE run_id = 'run-b'", arguments: []) },
            { _ = try reader.append([RawEvent(eventID: "99", type: "state", data: "{}", receivedAt: 1)], to: "run-b") },
        ] as [() throws -> Void] {
            #expect(sourceLocation: sourceLocation) { try read() } throws: { error in
                "\(error)".contains("run-b")
            }
        }
        #expect(try reader.timeline(of: "run-a").count == 8, sourceLocation: sourceLocation)
    }

    @Test func aRawSizeOf2To62IsACorruptArchiveNotAnOverflowTrap() throws {
        var fields = original
        fields.rawBytes = 1 << 62
        try rows.set(fields, of: "run-b")
        try expectOnlyRunBIsRefused(detail: "claims \(1 << 62) bytes")
    }

    @Test func aNegativeCountOrSizeIsACorruptArchive() throws {
        for (count, raw) in [(Int64(-1), original.rawBytes), (original.eventCount, -1), (.min, .min)] {
            var fields = original
            fields.eventCount = count
            fields.rawBytes = raw
            try rows.set(fields, of: "run-b")
            try expectOnlyRunBIsRefused(detail: "claims")
        }
    }

    @Test func aHeaderClaiming2To40EventsIsRefusedBeforeAnyAllocation() throws {
        let dictionary = try rows.dictionary(original.dictionaryID)
        var fields = original
        fields.blob = try Deflate.compress(ArchiveRows.header(count: 1 << 40), dictionary: dictionary)
        try rows.set(fields, of: "run-b")
        try expectOnlyRunBIsRefused(detail: "its payload claims \(1 << 40) events")

        // The row agrees with the header: beyond the hard limit.
        fields.eventCount = 1 << 40
        fields.rawBytes = (1 << 40) * 100
        try rows.set(fields, of: "run-b")
        try expectOnlyRunBIsRefused(detail: "claims \(1 << 40) events, beyond the limit")

        // Row and header claim 2^31 events, within the limit: the blob is too small to hold them.
        fields.blob = try Deflate.compress(ArchiveRows.header(count: 1 << 31), dictionary: dictionary)
        fields.eventCount = 1 << 31
        fields.rawBytes = (1 << 31) * 100
        try rows.set(fields, of: "run-b")
        try expectOnlyRunBIsRefused(detail: "more than its \(fields.blob.count)-byte blob can hold")
    }

    @Test func aSmallBlobClaimingHundredsOfMegabytesIsRefusedBeforeInflating() throws {
        // 32 MiB of template bytes that deflate to a few kilobytes, behind a header that states them.
        let bomb = 32 << 20
        var payload = ArchiveRows.header(
            count: UInt64(original.eventCount), sizes: [0, 0, 0, 0, UInt64(bomb), 0, 0, 0, 0])
        payload += [UInt8](repeating: UInt8(ascii: "x"), count: bomb)
        var fields = original
        fields.blob = try Deflate.compress(payload, dictionary: try rows.dictionary(original.dictionaryID))
        #expect(fields.blob.count < 1 << 20)

        // The row claims 600 MB: more than its events can take, refused from the row alone.
        fields.rawBytes = 600_000_000
        try rows.set(fields, of: "run-b")
        try expectOnlyRunBIsRefused(detail: "claims 600000000 bytes for \(original.eventCount) events")

        // The row's own size: the header's sections pass what it allows, refused from the header.
        fields.rawBytes = original.rawBytes
        try rows.set(fields, of: "run-b")
        try expectOnlyRunBIsRefused(detail: "out of range")
    }

    @Test func theRowRestoredReadsIntactAgain() throws {
        var fields = original
        fields.rawBytes = 1 << 62
        try rows.set(fields, of: "run-b")
        #expect(try !store.verify().isIntact)
        try rows.set(original, of: "run-b")
        #expect(try store.verify().isIntact)
    }
}
