// Reports written as they are read: a timeline longer than the table's prefetch prints every row
// in every format, JSON as one array, and the table's later rows padded to the widths the first
// rows set.

import Foundation
import LedgerTestSupport
import Testing

@Suite struct StreamedOutputTests {
    let scratch: ScratchDirectory
    let db: String
    let events = 1_500

    init() async throws {
        scratch = try ScratchDirectory()
        db = scratch.path("ledger.sqlite")
        let file = scratch.path("long.sse")
        let messages = (1...events).map { index in
            "id: \(index)\ndata: {\"event\":\"step\",\"state\":\"running\",\"step\":\(index),\"message\":\"step \(index)\"}\n\n"
        }
        try messages.joined().write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ledgerctl(["import", file, "--run", "run-long", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func everyFormatPrintsEveryRowOfALongTimeline() async throws {
        let json = try await ledgerctl(["timeline", "run-long", "--db", db, "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == events)
        #expect(rows.last?["message"] as? String == "step \(events)")
        let ndjson = try await ledgerctl(["timeline", "run-long", "--db", db, "--format", "ndjson"])
        #expect(ndjson.stdout.split(separator: "\n").count == events)
        let csv = try await ledgerctl(["timeline", "run-long", "--db", db, "--format", "csv"])
        #expect(csv.stdout.split(separator: "\r\n").count == events + 1)
    }

    @Test func tableRowsAfterThePrefetchKeepTheColumnsOfTheFirstRows() async throws {
        let table = try await ledgerctl(["timeline", "run-long", "--db", db])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == events + 1)
        let messageColumn = try #require(lines.first?.range(of: "message")?.lowerBound.utf16Offset(in: lines[0]))
        for index in [1, 1_000, 1_001, events] {
            let line = lines[index]
            let message = line.range(of: "step \(index)", options: .backwards)
            #expect(message?.lowerBound.utf16Offset(in: line) == messageColumn, "\(line)")
        }
    }
}
