// `--since` and `--until`, shared by the reports that take a time window. Both are UTC and take
// a date (2026-11-01) or an ISO 8601 time; since is inclusive, until exclusive, and a bare date
// for until includes that whole day.

import ArgumentParser
import Ledger

struct WindowOptions: ParsableArguments {
    @Option(help: "From this UTC date or time on, inclusive: 2026-11-01 or 2026-11-01T09:30:00Z.")
    var since: String?

    @Option(help: "Before this UTC date or time; a bare date includes that whole day.")
    var until: String?

    func validate() throws { _ = try window() }

    /// The window the options give.
    func window() throws -> TimeWindow {
        let start = try since.map { try Self.parse($0, option: "--since") }
        var end = try until.map { try Self.parse($0, option: "--until") }
        if let text = until, let parsed = end, Self.isBareDate(text) { end = parsed + 86_400_000_000 }
        if let start, let end, start >= end {
            throw ValidationError(
                "--until must be later than --since (got --since \(since ?? "") --until \(until ?? ""))")
        }
        return TimeWindow(since: start, until: end)
    }

    private static func parse(_ text: String, option: String) throws -> Int64 {
        guard let micros = UTCTime.parse(text) else {
            throw ValidationError(
                "\(option): expected a date like 2026-11-01 or a time like 2026-11-01T09:30:00Z, got '\(text)'")
        }
        return micros
    }

    private static func isBareDate(_ text: String) -> Bool {
        text.utf8.count == 10 && !text.contains("T")
    }
}
