// Fuzzing the transcript path end to end: random event streams, with bytes flipped, cut and
// spliced, imported through the real importer into a real store. Whatever the bytes, import
// must not crash, every message is either stored or refused (never altered), and the chains
// stay intact. The seed is printed with any failure (LEDGER_TEST_SEED replays one).

import Foundation
import Ingest
import Ledger
import LedgerTestSupport
import Testing

@Suite struct TranscriptFuzzTests {
    @Test func mangledTranscriptsImportWithoutCrashOrAlteredEvents() async throws {
        let seed = testSeed()
        var random = SplitMix(seed: seed)
        let scratch = try ScratchDirectory()
        let store = try LedgerStore(path: scratch.path("fuzz.sqlite"))
        var importer = TranscriptImporter()
        importer.chunkSize = 37
        for round in 0..<150 {
            var bytes = randomStream(&random).bytes
            for _ in 0..<Int(random.next() % 6) where !bytes.isEmpty {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int(random.next() % 8)))
                case 2: bytes.insert(contentsOf: [0xFF, 0xC3, 0xE2, 0x82].prefix(Int(random.next() % 4) + 1), at: at)
                default: bytes.insert(contentsOf: Array("\n\nid: \(round)\ndata: x\n\n".utf8), at: at)
                }
            }
            let path = scratch.path("round-\(round).sse")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let runID = "run-\(round)"
            let result = try await importer.importFile(at: path, runID: runID, into: store)
            let stored = try store.events(of: runID)
            #expect(stored.count == result.outcome.new, "seed \(seed), round \(round)")
            #expect(result.messages == result.outcome.new + result.outcome.duplicate + result.outcome.conflict + result.refusedLines.count,
                "seed \(seed), round \(round)")
            #expect(stored.allSatisfy { !$0.data.unicodeScalars.contains("\u{FFFD}") || bytes.containsValidFFFD },
                "seed \(seed), round \(round): an event holds U+FFFD the stream did not send")
        }
        let report = try store.verify(progressInterval: 100_000) { _ in }
        #expect(report.problems.allSatisfy { $0.kind == .refusedMessage || $0.kind == .conflict }, "seed \(seed)")
    }
}

extension [UInt8] {
    /// Whether the bytes hold a real U+FFFD (EF BF BD), which a stream may send like any character.
    fileprivate var containsValidFFFD: Bool {
        indices.contains { self[$0...].starts(with: [0xEF, 0xBF, 0xBD]) }
    }
}
