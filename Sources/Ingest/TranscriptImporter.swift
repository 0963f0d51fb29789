// Imports a captured event stream (what `curl -N` prints) into a run. The file is read in
// fixed-size chunks, so a transcript of any size streams through; events are appended in
// batches, and everything read before a problem is kept.

import Foundation
import Ledger

/// What an import read and stored.
package struct TranscriptImport: Sendable, Equatable {
    package var outcome = AppendOutcome()
    package var messages = 0
    package var bytes = 0
    /// Lines of messages refused because a field was not valid UTF-8; kept aside (`verify` lists them).
    package var refusedLines: [Int] = []
    /// Lines (1-based) of messages whose data is not JSON; they are stored raw all the same.
    package var invalidJSONLines: [Int] = []
    /// The line where a final message began that no blank line ended; it was not dispatched or stored.
    package var unterminatedMessageLine: Int?

    package init() {}
}

/// Why a transcript could not be read.
package struct TranscriptError: Error, Sendable, Equatable, LocalizedError {
    package var path: String
    package var reason: String
    package var errorDescription: String? { "\(path): \(reason)" }
}

/// Streams a transcript file through the SSE parser into the store.
package struct TranscriptImporter: Sendable {
    package var chunkSize = 1 << 20
    package var batchSize = 4096

    package init() {}

    /// Imports the file at `path` ("-" reads standard input) as the events of `runID`.
    /// `progress` is called after each stored batch with the bytes read so far.
    package func importFile(
        at path: String, runID: String, into store: any EventStore, progress: (Int) -> Void = { _ in }
    ) async throws -> TranscriptImport {
        let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY)
        guard descriptor >= 0 else { throw TranscriptError(path: path, reason: String(cString: strerror(errno))) }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }

        var result = TranscriptImport()
        var decoder = StreamDecoder(runID: runID, checksJSON: true)
        var pending: [RawEvent] = []
        pending.reserveCapacity(batchSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }

        func flush() async throws {
            guard !pending.isEmpty else { return }
            result.outcome += try await store.append([RunBatch(runID: runID, events: pending)])
            pending.removeAll(keepingCapacity: true)
            progress(result.bytes)
        }

        while true {
            let count = read(descriptor, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                try await flush()
                throw TranscriptError(path: path, reason: "read failed after \(result.bytes) bytes: \(reason)")
            }
            if count == 0 { break }
            result.bytes += count
            let receivedAt = UTCTime.now()
            let chunk = decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), receivedAt: receivedAt)
            result.messages += chunk.messages
            result.invalidJSONLines += chunk.invalidJSONLines
            pending += chunk.events
            if !chunk.refused.isEmpty {
                result.refusedLines += chunk.refusedLines
                try await store.keepRefused(chunk.refused)
            }
            if pending.count >= batchSize { try await flush() }
            if decoder.isOverMessageLimit {
                try await flush()
                throw TranscriptError(
                    path: path,
                    reason: "line \(decoder.parser.pendingLine): a message of more than \(SSEParser.messageLimit >> 20) MiB "
                        + "without a blank line to end it; the \(result.messages) messages before it are kept")
            }
        }
        result.unterminatedMessageLine = decoder.finish()
        try await flush()
        return result
    }
}
