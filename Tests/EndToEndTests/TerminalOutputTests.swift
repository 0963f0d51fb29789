// Stream text that tries to drive the terminal: an event message with escape sequences prints
// escaped in table output and on stderr, and exactly as stored in JSON.

import Foundation
import LedgerTestSupport
import Testing

@Suite struct TerminalOutputTests {
    let scratch: ScratchDirectory
    let db: String
    /// Sets the terminal's title, rings the bell and clears the screen when printed raw.
    let hostile = "\u{1b}]0;pwned\u{07}\u{1b}[2J"

    init() async throws {
        scratch = try ScratchDirectory()
        db = scratch.path("ledger.sqlite")
        let file = scratch.path("hostile.sse")
        try """
        id: 1
        data: {"event":"state","state":"running","ts":"2026-11-03T08:00:01Z"}

        id: 2
        data: {"event":"step","state":"running","step":1,"message":"\\u001b]0;pwned\\u0007\\u001b[2J","ts":"2026-11-03T08:00:03Z"}


        """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ledgerctl(["import", file, "--run", "run-hostile", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func controlCharactersInAMessageAreEscapedInTableOutput() async throws {
        let result = try await ledgerctl(["timeline", "run-hostile", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(#"\u001b]0;pwned\u0007\u001b[2J"#), "\(result.stdout)")
        #expect(!result.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }

    @Test func controlCharactersInAMessageStayExactInJSON() async throws {
        let result = try await ledgerctl(["timeline", "run-hostile", "--db", db, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.last?["message"] as? String == hostile)
    }

    @Test func controlCharactersEchoedInAnErrorAreEscapedOnStderr() async throws {
        let result = try await ledgerctl(["timeline", "run\(hostile)", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains(#"run\u001b]0;pwned\u0007\u001b[2J"#), "\(result.stderr)")
        #expect(!result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }
}
