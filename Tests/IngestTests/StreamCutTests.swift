// Cuts everywhere: CoastySim ends a run's first connection at every event boundary and at byte
// offsets inside every message, cleanly and by dropping it, for a run ending result-first and one
// ending state-first; each time ingest must store exactly the server's stream and confirm the run
// complete. A clean close right after a terminal event is the cut that once lost a run's last event.

import CoastySim
import Foundation
import Ingest
import Ledger
import LedgerTestSupport
import Testing

@Suite struct StreamCutTests {
    /// A simulated run of at least 12 events, id-less ones among them, with tricky framing.
    struct CutRun: Sendable {
        var seed: UInt64
        /// The bytes of each log entry as every response frames it.
        var entries: [[UInt8]]
        var expected: [(key: String, type: String, data: String)]
    }

    static let configuration = SimConfiguration(initialRuns: 1, stepsPerRun: 8...11, faults: SimFaults(trickyFraming: true))

    /// The first seed whose run has the wanted final order (result then state, or state then result).
    static func run(endingWithResultFirst resultFirst: Bool) async throws -> CutRun {
        for seed in UInt64(1)...200 {
            var configuration = configuration
            configuration.seed = seed
            let sim = CoastySim(configuration: configuration)
            guard let runID = await sim.runIDs.first else { continue }
            let log = await sim.log(of: runID)
            let kinds = log.suffix(2).map { (try? JSONValue.parse($0.data))?["event"]?.stringValue }
            guard log.count >= 12, log.contains(where: { $0.id == nil }),
                kinds == (resultFirst ? ["result", "state"] : ["state", "result"])
            else { continue }
            return CutRun(
                seed: seed, entries: await sim.wireEntries(of: runID),
                expected: StreamKeys.expected(log.map { ($0.id, $0.type, $0.data) }))
        }
        throw CancellationError()
    }

    /// Every event boundary (after the byte order mark and after each entry), and offsets inside
    /// each message: its first byte, its middle, its last byte but one and its last.
    static func offsets(of entries: [[UInt8]]) -> [Int] {
        var offsets: Set<Int> = [0]
        var start = 3
        for entry in entries {
            offsets.formUnion([start, start + 1, start + entry.count / 2, start + entry.count - 2, start + entry.count - 1])
            start += entry.count
            offsets.insert(start)
        }
        return offsets.sorted()
    }

    @Test(arguments: [true, false])
    func everyCutOfTheFirstConnectionStillStoresTheServersExactStream(resultFirst: Bool) async throws {
        let run = try await Self.run(endingWithResultFirst: resultFirst)
        let cuts = Self.offsets(of: run.entries).flatMap { [StreamCut(offset: $0, abrupt: false), StreamCut(offset: $0, abrupt: true)] }
        let failures = try await withThrowingTaskGroup(of: String?.self) { group in
            var pending = cuts.makeIterator()
            var failures: [String] = []
            for _ in 0..<4 {
                guard let cut = pending.next() else { break }
                group.addTask { try await Self.ingest(run, cut: cut) }
            }
            while let failure = try await group.next() {
                if let failure { failures.append(failure) }
                if let cut = pending.next() { group.addTask { try await Self.ingest(run, cut: cut) } }
            }
            return failures
        }
        #expect(failures.isEmpty, "seed \(run.seed), \(cuts.count) cuts: \(failures.joined(separator: "; "))")
    }

    /// Ingests the run with its first connection cut at `cut`; a description of what went wrong, or nil.
    static func ingest(_ run: CutRun, cut: StreamCut) async throws -> String? {
        var configuration = configuration
        configuration.seed = run.seed
        configuration.faults.cut = cut
        let sim = CoastySim(configuration: configuration)
        let url = try await sim.start()
        defer { Task { await sim.stop() } }
        let scratch = try ScratchDirectory()
        let store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        var options = IngestOptions(baseURL: url.absoluteString, apiKey: configuration.apiKey)
        options.backoff = Backoff(initial: .milliseconds(1), maximum: .milliseconds(5), maxAttempts: 5)
        options.confirmIdle = .milliseconds(300)
        let runID = try #require(await sim.runIDs.first)
        let report = try await IngestSession(store: store, options: options).run([runID])
        let place = "cut at byte \(cut.offset)\(cut.abrupt ? " (reset)" : "")"
        let outcome = report.runs[0]
        if let error = outcome.error { return "\(place): \(error.localizedDescription)" }
        if !outcome.complete { return "\(place): not confirmed complete" }
        let stored = try store.events(of: runID)
        if stored.map(\.eventID) != run.expected.map(\.key) || stored.map(\.type) != run.expected.map(\.type)
            || stored.map(\.data) != run.expected.map(\.data)
        {
            return "\(place): stored \(stored.count) events, the server has \(run.expected.count)"
        }
        return try store.stream(of: runID)?.isComplete == true ? nil : "\(place): the store does not say complete"
    }
}
