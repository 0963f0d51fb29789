// A stream that never ends its message (an endless line, or data lines with no blank line)
// must not take unbounded memory: readers see how much the parser holds and stop past the
// limit, keeping every message read before it.

import Foundation
import Ingest
import Ledger
import Testing

@Suite struct MessageLimitTests {
    @Test func pendingBytesCountTheUnfinishedLineAndTheDataSoFar() {
        var parser = SSEParser()
        parser.parse(Array("data: {\"a\":1}\n\ndata: abc\ndata: de".utf8)) { _ in }
        #expect(parser.pendingBytes == "abc".utf8.count + "data: de".utf8.count)
        #expect(parser.pendingLine == 3)
        parser.parse(Array("\n\n".utf8)) { _ in }
        #expect(parser.pendingBytes == 0)
    }

    @Test func importStopsAtAnEndlessMessageAndKeepsWhatCameBefore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("limit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let transcript = directory.appendingPathComponent("endless.sse")
        var bytes = Array("id: 1\ndata: {\"event\":\"state\",\"state\":\"queued\"}\n\nid: 2\ndata: ".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: SSEParser.messageLimit + 1)
        try Data(bytes).write(to: transcript)
        let store = try LedgerStore(path: directory.appendingPathComponent("ledger.sqlite").path)

        var importer = TranscriptImporter()
        importer.chunkSize = 1 << 20
        await #expect {
            try await importer.importFile(at: transcript.path, runID: "run_1", into: store)
        } throws: { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            return message.contains("endless.sse: line 4:") && message.contains("16 MiB")
        }
        #expect(try store.events(of: "run_1").map(\.eventID) == ["1"])
    }
}
