// `ledgerctl ingest RUN_ID...`: stream runs from the Coasty API into the store until each is
// terminal, resuming after any drop. Progress on stderr; SIGINT/SIGTERM stop cleanly after
// storing everything received, and the next ingest resumes from there.

import ArgumentParser
import Foundation
import Ingest
import Ledger

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Stream runs from the Coasty API into the store until each is complete.",
        discussion: """
            Each run resumes from the last event the store holds (sent as Last-Event-ID), so \
            running ingest again, after a crash, a kill or a dropped connection, neither loses nor \
            duplicates anything. A run is complete once it is terminal and a resume after its last \
            stored event brings nothing new: after the server ends a stream following a terminal \
            event, ingest asks once more to confirm, and records the run as complete \
            (`ledgerctl runs`, column complete). Runs already complete are not requested again. \
            --open adds every run the store holds that is not complete. 401, 403 and 404 end a run at once; other failures are retried \
            with backoff, a bounded number of times in a row. The API key is never printed or stored.
            Exit status: 0 when every run reached its end, 1 when any failed or the ingest was interrupted.
            """
    )

    @Argument(help: "Run ids to ingest.")
    var runIDs: [String] = []

    @Option(help: "A file of run ids, one per line (# starts a comment).")
    var runsFile: String?

    @Flag(help: "Also every run the store holds whose stream is not confirmed complete (see `ledgerctl runs --open`).")
    var open = false

    @OptionGroup var api: APIOptions

    @Option(help: "Runs streamed at once.")
    var concurrency = 32

    @Option(help: "Failed attempts in a row before a run is given up.")
    var maxAttempts = 8

    @Option(
        help: """
            After a run's terminal event, a stream silent this long (keep-alives aside) is closed \
            and the run's end confirmed by one resume (e.g. 3s, 500ms).
            """)
    var confirmIdle = "3s"

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        if runIDs.isEmpty && runsFile == nil && !open {
            throw ValidationError("give at least one RUN_ID, --runs-file or --open")
        }
        guard let idle = Duration(text: confirmIdle), idle > .zero else {
            throw ValidationError("--confirm-idle: expected a duration such as 3s or 500ms, got '\(confirmIdle)'")
        }
        _ = try api.resolvedBaseURL()
    }

    func run() async throws {
        let ledger = try await store.openStore(.create)
        let openRuns = open ? try await ledger.streams().filter { !$0.isComplete }.map(\.runID) : []
        var seen = Set<String>()
        let runs = try (runIDs + (runsFile.map(Self.readRunsFile) ?? []) + openRuns).filter { seen.insert($0).inserted }
        var options = IngestOptions(baseURL: try api.resolvedBaseURL(), apiKey: api.resolvedAPIKey)
        options.concurrency = concurrency
        options.backoff.maxAttempts = maxAttempts
        options.redirects = api.redirects
        options.confirmIdle = Duration(text: confirmIdle) ?? options.confirmIdle
        if open { printStatus("ingest: \(openRuns.count) open run\(openRuns.count == 1 ? "" : "s") in the store") }
        try await Self.ingest(runs, into: ledger, options: options)
    }

    /// Streams `runs` with progress on stderr and a summary; throws `CommandExit(1)` unless every run finished.
    static func ingest(_ runs: [String], into store: any EventStore, options: IngestOptions) async throws {
        let session = IngestSession(store: store, options: options)
        let report = try await IngestProgressPrinter(counters: session.counters, total: runs.count).whileRunning {
            try await withSignalCancellation { try await session.run(runs) }
        }

        for error in report.failures { printError(error.localizedDescription) }
        let refused = report.runs.reduce(0) { $0 + $1.refused }
        if refused > 0 {
            printError(
                "ingest: \(refused) message\(refused == 1 ? "" : "s") refused as not valid UTF-8 and kept aside with "
                    + "their bytes as received; `ledgerctl verify` lists them")
        }
        printStatus(
            "ingest: \(report.interrupted ? "interrupted; " : "")\(report.runs.count) runs, "
                + "\(report.stored.new) new events, \(report.stored.duplicate) duplicate, "
                + "\(report.stored.conflict) conflicting; \(report.failures.count) failed")
        if report.interrupted {
            printError("interrupted: everything received is stored; run the same ingest again to resume")
        }
        if report.interrupted || !report.failures.isEmpty { throw CommandExit(code: 1) }
    }

    static func readRunsFile(_ path: String) throws -> [String] {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
                .split(whereSeparator: \.isNewline)
                .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        } catch {
            throw ValidationError("\(path): cannot read the runs file (\(error.localizedDescription))")
        }
    }
}

/// Prints a progress line to stderr every second while `body` runs: runs done/total, events, events/s.
struct IngestProgressPrinter {
    let counters: IngestCounters
    let total: Int

    func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        let printer = Task { [counters, total] in
            var lastCount = 0
            var lastTime = start
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                let now = ContinuousClock.now
                let count = counters.received.load(ordering: .relaxed)
                let elapsed = now - lastTime
                let rate = Double(count - lastCount) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                let done = counters.runsDone.load(ordering: .relaxed) + counters.runsFailed.load(ordering: .relaxed)
                printStatus(
                    "ingest: \(done)/\(total) runs done, \(count) events received, \(Int(rate)) events/s, "
                        + "\(counters.reconnects.load(ordering: .relaxed)) reconnects")
                lastCount = count
                lastTime = now
            }
        }
        defer { printer.cancel() }
        return try await body()
    }
}

/// Runs `body`, cancelling it on SIGINT or SIGTERM so it can stop cleanly.
func withSignalCancellation<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    let sources = [SIGINT, SIGTERM].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    return try await task.value
}
