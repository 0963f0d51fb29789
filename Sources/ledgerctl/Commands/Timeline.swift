// `ledgerctl timeline RUN_ID`: what the agent did in one run, event by event, in stream order,
// written as the store reads the events.

import ArgumentParser
import Ledger

struct Timeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one run's events in stream order.",
        discussion: """
            Columns: seq, event_id, at, type, state, step, message. `at` is the event's own ts \
            (UTC), or the time Ledger received it where the event has none; `type` is the data's \
            `event` field, else the SSE event type. --gaps adds gap_s: for each step after the \
            run's first, the seconds since the previous step. Ordered by seq (stream order).
            """
    )

    @Argument(help: "The run to show.")
    var runID: String

    @Option(help: "Show only the last N events.")
    var last: Int?

    @Flag(help: "Add gap_s, the time since the previous step, to step rows.")
    var gaps = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if let last, last < 1 { throw ValidationError("--last must be at least 1") }
    }

    func run() async throws {
        let gaps = gaps
        let stream = output.stream(columns: Self.columns(gaps: gaps))
        let shown = try await store.openStore().streamTimeline(of: runID, last: last) { row in
            stream.add(Self.cells(row, gaps: gaps))
        }
        guard shown > 0 else {
            throw LedgerError.storage(context: "run \(runID)", reason: "no events stored in \(store.name)")
        }
        stream.finish()
    }

    /// The `timeline` report of design.md for `rows`, with gap_s appended when `gaps` is set.
    static func report(_ rows: [TimelineRow], gaps: Bool = false) -> Report {
        Report(columns: columns(gaps: gaps), rows: rows.map { cells($0, gaps: gaps) })
    }

    private static func columns(gaps: Bool) -> [String] {
        ["seq", "event_id", "at", "type", "state", "step", "message"] + (gaps ? ["gap_s"] : [])
    }

    private static func cells(_ row: TimelineRow, gaps: Bool) -> [Cell] {
        [
            Cell(row.position), .text(row.eventID), .time(row.at), .text(row.type), Cell(row.state), Cell(row.step),
            Cell(row.message),
        ] + (gaps ? [row.gapMicros.map(Cell.seconds) ?? .null] : [])
    }
}
