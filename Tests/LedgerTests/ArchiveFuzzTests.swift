// Archive rows of a real compacted store mutated at random, a few seconds' worth: the row's
// fields (counts, sizes, format, dictionary), the sizes in the payload's header, the payload's
// bytes re-deflated, and the blob's bytes (flipped, cut, extended, replaced). No reader may crash;
// a row that changed is a `corrupt_archive` of its run. Set LEDGER_FUZZ_SEED to replay a seed.

import Foundation
import Ledger
import LedgerTestSupport
import Testing

@Suite struct ArchiveFuzzTests {
    /// Interesting values for a 64-bit field: edges, powers of two that overflow products, and
    /// neighbours of the true value.
    private static func interesting(_ value: Int64, _ random: inout SplitMix) -> Int64 {
        let values: [Int64] = [
            0, 1, -1, .max, .min, 1 << 62, 1 << 40, 1 << 32, 1 << 31, value &+ 1, value &- 1, value &* 2, value / 2,
            -value,
        ]
        return values[random.int(in: 0...(values.count - 1))]
    }

    /// The payload's header fields (event count, mode byte, nine section sizes) and where the sections start.
    private static func header(of payload: [UInt8]) -> (fields: [UInt64], end: Int)? {
        var fields: [UInt64] = []
        var index = 0
        for field in 0..<11 {
            if field == 1 {
                guard index < payload.count else { return nil }
                fields.append(UInt64(payload[index]))
                index += 1
                continue
            }
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < payload.count, shift < 64 else { return nil }
                let byte = payload[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            fields.append(value)
        }
        return (fields, index)
    }

    private static func mutate(
        _ fields: inout ArchiveRows.Fields, payload: [UInt8], dictionary: [UInt8], _ random: inout SplitMix
    ) throws {
        switch random.int(in: 0...9) {
        case 0: fields.eventCount = interesting(fields.eventCount, &random)
        case 1: fields.rawBytes = interesting(fields.rawBytes, &random)
        case 2:
            fields.eventCount = interesting(fields.eventCount, &random)
            fields.rawBytes = interesting(fields.rawBytes, &random)
        case 3: fields.format = [0, 1, 3, -1, .max][random.int(in: 0...4)]
        case 4: fields.dictionaryID = [nil, 0, 999, fields.dictionaryID.map { $0 + 1 }][random.int(in: 0...3)]
        case 5:
            // One header field of the payload set to an interesting value, the payload re-deflated.
            guard case (var header, let end)? = header(of: payload) else { return }
            let field = random.int(in: 0...(header.count - 1))
            header[field] = UInt64(bitPattern: interesting(Int64(bitPattern: header[field]), &random))
            var rebuilt = ArchiveRows.header(count: header[0], sizes: Array(header[2...]))
            rebuilt[ArchiveRows.varint(header[0]).count] = UInt8(truncatingIfNeeded: header[1])
            fields.blob = try Deflate.compress(rebuilt + payload[end...], dictionary: dictionary)
        case 6:
            // Bytes of the payload changed, then re-deflated so that zlib's checksum holds.
            var bytes = payload
            for _ in 0..<random.int(in: 1...4) {
                bytes[random.int(in: 0...(bytes.count - 1))] = UInt8(random.int(in: 0...255))
            }
            fields.blob = try Deflate.compress(bytes, dictionary: dictionary)
        case 7: fields.blob[random.int(in: 0...(fields.blob.count - 1))] ^= UInt8(1 << random.int(in: 0...7))
        case 8: fields.blob.removeLast(random.int(in: 1...fields.blob.count))
        default:
            let start = random.int(in: 0...(fields.blob.count - 1))
            let noise = (0..<random.int(in: 1...64)).map { _ in UInt8(random.int(in: 0...255)) }
            fields.blob.replaceSubrange(start..<min(fields.blob.count, start + noise.count), with: noise)
        }
    }

    @Test func mutatedArchiveRowsNeverCrashAReaderAndAreReportedAsCorrupt() throws {
        let seed =
            ProcessInfo.processInfo.environment["LEDGER_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        var random = SplitMix(seed: seed)
        let scratch = try ScratchDirectory()
        let store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        try store.append(RunScript.run(steps: 6, start: "2026-11-02T09:00:00Z"), to: "run-a")
        try store.append(RunScript.run(steps: 9, start: "2026-11-03T09:00:00Z"), to: "run-b")
        try store.compact(before: .max)
        let rows = try ArchiveRows(path: store.path)
        let original = try #require(try rows.fields(of: "run-b"))
        let dictionary = try rows.dictionary(original.dictionaryID)
        let payload = try Deflate.decompress(original.blob, dictionary: dictionary, limit: 1 << 24)

        let deadline = ContinuousClock.now + .seconds(3)
        var tried = 0
        while ContinuousClock.now < deadline, tried < 3_000 {
            var fields = original
            try Self.mutate(&fields, payload: payload, dictionary: dictionary, &random)
            guard fields != original else { continue }
            tried += 1
            try rows.set(fields, of: "run-b")
            let context = "LEDGER_FUZZ_SEED=\(seed), mutation \(tried)"
            let problems = try store.verify().problems
            #expect(problems.allSatisfy { $0.runID == "run-b" && $0.kind == .corruptArchive }, "\(context): \(problems)")
            // A new store each time: a connection keeps the archives it has decoded.
            let reader = try LedgerStore(path: store.path)
            do {
                _ = try reader.events(of: "run-b")
            } catch is LedgerError {
                #expect(!problems.isEmpty, "\(context): verify found nothing but the run cannot be read")
            }
            #expect(try reader.timeline(of: "run-a").count > 0, "\(context)")
        }
        try rows.set(original, of: "run-b")
        #expect(try store.verify().isIntact, "LEDGER_FUZZ_SEED=\(seed)")
        #expect(tried >= 10, "LEDGER_FUZZ_SEED=\(seed): only \(tried) mutations in the time given")
    }
}
