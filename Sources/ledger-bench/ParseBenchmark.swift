// The SSE parser benchmark: synthetic Coasty streams (mostly LF framing, every fourth run CRLF,
// progress messages without ids) parsed in 64 KiB chunks with keys assigned, as ingest does it;
// prints the best of several passes in GB/s.

import Foundation
import Ingest

/// Parses about `megabytes` MB (10^6 bytes) of synthetic streams and prints the throughput.
func runParseBenchmark(megabytes: Int) {
    let passes = 5
    let chunkSize = 64 * 1024
    var stream: [UInt8] = []
    stream.reserveCapacity(megabytes * 1_000_000 + 1 << 20)
    var expectedMessages = 0
    var index = 0
    while stream.count < megabytes * 1_000_000 {
        var events = SyntheticStreams.run(index: index, seed: 2026, steps: 10 + index % 50)
        for position in events.indices where events[position].type == "message" { events[position].id = "" }
        stream += SyntheticStreams.sse(events, crlf: index % 4 == 3)
        expectedMessages += events.count
        index += 1
    }

    var best = Duration.seconds(Int64.max)
    for _ in 0..<passes {
        var parser = SSEParser()
        var keyer = EventKeyer()
        var messages = 0
        var keyBytes = 0
        let start = ContinuousClock.now
        stream.withUnsafeBytes { bytes in
            for offset in stride(from: 0, to: bytes.count, by: chunkSize) {
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset..<min(offset + chunkSize, bytes.count)])
                parser.parse(chunk) { message in
                    messages += 1
                    keyBytes += keyer.key(for: message).utf8.count
                }
            }
        }
        let pending = parser.finish()
        best = min(best, ContinuousClock.now - start)
        guard messages == expectedMessages, keyBytes > 0, pending == nil else {
            FileHandle.standardError.write(
                Data("parse: dispatched \(messages) messages, expected \(expectedMessages)\n".utf8))
            exit(1)
        }
    }
    let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
    let gigabytesPerSecond = Double(stream.count) / seconds / 1e9
    print(
        "parse: \(String(format: "%.1f", Double(stream.count) / 1e6)) MB, \(expectedMessages.formatted()) messages, "
            + "\(String(format: "%.2f", gigabytesPerSecond)) GB/s (best of \(passes))")
}
