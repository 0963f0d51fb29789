// `ledgerctl import FILE --run RUN_ID`: store a captured event stream as a run's events.
// Idempotent: importing the same file again adds nothing.

import ArgumentParser
import Ingest
import Ledger

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a captured event stream (what `curl -N` prints) as a run's events.",
        discussion: """
            The file is parsed by the WHATWG event-stream rules and read in chunks, so any size \
            streams through. Events are keyed by their SSE id (id-less ones as <last id>#<n>), so \
            importing the same file again adds nothing; an event whose key is known but whose data \
            differs is kept aside as a conflict (see `ledgerctl verify`). Data that is not JSON is \
            stored raw and named by line. Exits 1 if the file had such problems, after storing \
            everything it could read.
            """
    )

    @Argument(help: "The transcript file, or - for standard input.")
    var file: String

    @Option(help: "The run id the events belong to.")
    var run: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let ledger = try await store.openStore(.create)
        let result = try await TranscriptImporter().importFile(at: file, runID: run, into: ledger) { bytes in
            if bytes >= 64 << 20 { printStatus("import: \(bytes >> 20) MiB read…") }
        }
        let outcome = result.outcome
        print(
            "imported \(file) into run \(run): \(outcome.new) new, \(outcome.duplicate) duplicate, "
                + "\(outcome.conflict) conflicting (\(result.messages) events)")
        var problems = false
        /// Names each of `lines` (the first 20, then how many more) with `what`.
        func report(_ lines: [Int], _ what: String, more: String) {
            guard !lines.isEmpty else { return }
            problems = true
            for line in lines.prefix(20) { printError("\(file):\(line): \(what)") }
            if lines.count > 20 { printError("\(file): \(lines.count - 20) more \(more)") }
        }
        report(result.invalidJSONLines, "data is not JSON (stored raw)", more: "events whose data is not JSON (stored raw)")
        report(
            result.refusedLines,
            "not valid UTF-8; refused and kept aside with its bytes as received (see `ledgerctl verify`)",
            more: "messages refused as not valid UTF-8")
        if let line = result.unterminatedMessageLine {
            problems = true
            printError("\(file):\(line): the last message has no blank line after it; it was not dispatched or stored")
        }
        if outcome.conflict > 0 {
            printError("\(file): \(outcome.conflict) events conflict with stored ones; see `ledgerctl verify`")
        }
        if problems { throw CommandExit(code: 1) }
    }
}
