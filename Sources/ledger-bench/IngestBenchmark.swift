// The ingest benchmark: the built ledgerctl streams about a million events from CoastySim over
// loopback (no delays, no faults), against the store's own append ceiling for the same events
// measured in the same run; then 1,000 runs streaming at once, with the process's peak RSS.

import CoastySim
import Foundation
import Ingest
import Ledger

struct IngestBenchmark {
    var runs = 1_000
    var steps = 1_000

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ledgerctl = try builtLedgerctl()

        let (sim, baseURL, apiKey, runIDs) = try await startBenchmarkSimulator(seed: 99, runs: runs, steps: steps)
        var logs: [RunBatch] = []
        for runID in runIDs { logs.append(RunBatch(runID: runID, events: keyed(await sim.log(of: runID)))) }
        let total = logs.reduce(0) { $0 + $1.events.count }
        let runsFile = directory.appendingPathComponent("runs.txt")
        try runIDs.joined(separator: "\n").write(to: runsFile, atomically: true, encoding: .utf8)
        print("ingest benchmark: \(runIDs.count.formatted()) runs, \(total.formatted()) events from CoastySim at \(baseURL)")

        let (wide, peakKiB) = try await runIngest(
            ledgerctl, runsFile: runsFile.path, baseURL: baseURL, apiKey: apiKey,
            store: directory.appendingPathComponent("wide.sqlite").path, concurrency: runIDs.count)
        let (narrow, _) = try await runIngest(
            ledgerctl, runsFile: runsFile.path, baseURL: baseURL, apiKey: apiKey,
            store: directory.appendingPathComponent("narrow.sqlite").path, concurrency: 32)
        await sim.stop()

        let store = try LedgerStore(path: directory.appendingPathComponent("ceiling.sqlite").path)
        let start = ContinuousClock.now
        for batch in stride(from: 0, to: logs.count, by: 5) {
            try store.append(Array(logs[batch..<min(batch + 5, logs.count)]))
        }
        let ceiling = Double(total) / seconds(ContinuousClock.now - start)

        let narrowRate = Double(total) / narrow
        print(
            "  ledgerctl ingest, 32 runs at a time: \(Int(narrowRate).formatted()) events/s; store append ceiling "
                + "\(Int(ceiling).formatted()) events/s; " + String(format: "ratio %.2f", narrowRate / ceiling))
        print(
            "  ledgerctl ingest, \(runIDs.count.formatted()) runs at once: \(Int(Double(total) / wide).formatted()) events/s, "
                + String(format: "peak RSS %.0f MiB", Double(peakKiB) / 1024))
    }

    /// The log as Ledger keys it: each entry through EventKeyer, as ingest would dispatch it.
    private func keyed(_ log: [SimEvent]) -> [RawEvent] {
        var keyer = EventKeyer()
        var lastID = ""
        let now = UTCTime.now()
        return log.map { event in
            lastID = event.id ?? lastID
            let message = SSEMessage(
                type: event.type ?? "message", data: event.data, lastEventID: lastID, hasOwnID: event.id != nil, line: 0)
            return RawEvent(
                eventID: keyer.key(for: message), type: message.type, data: message.data, receivedAt: now,
                resumeID: lastID)
        }
    }

}

/// CoastySim serving `runs` runs of `steps` steps each, without delays or faults, on a loopback port.
func startBenchmarkSimulator(seed: UInt64, runs: Int, steps: Int) async throws
    -> (sim: CoastySim, baseURL: String, apiKey: String, runIDs: [String])
{
    var configuration = SimConfiguration(seed: seed)
    configuration.initialRuns = runs
    configuration.stepsPerRun = steps...steps
    let sim = CoastySim(configuration: configuration)
    let baseURL = try await sim.start().absoluteString
    return (sim, baseURL, configuration.apiKey, await sim.runIDs)
}

/// The ledgerctl built beside this benchmark.
func builtLedgerctl() throws -> URL {
    let ledgerctl = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("ledgerctl")
    guard FileManager.default.isExecutableFile(atPath: ledgerctl.path) else {
        throw LedgerError.cannotOpen(path: ledgerctl.path, reason: "build it first: swift build -c release --product ledgerctl")
    }
    return ledgerctl
}

/// Runs `ledgerctl ingest` into `store` (a file or a PostgreSQL URL) to completion; returns the
/// wall time in seconds and the process's peak RSS in KiB (VmHWM, read while it runs: rusage of a
/// child forked from this large process would count the parent's pages too).
func runIngest(
    _ ledgerctl: URL, runsFile: String, baseURL: String, apiKey: String, store: String, concurrency: Int
) async throws -> (seconds: Double, peakKiB: Int) {
    let process = Process()
    process.executableURL = ledgerctl
    process.arguments = [
        "ingest", "--runs-file", runsFile, "--base-url", baseURL, "--api-key", apiKey, "--store", store,
        "--concurrency", String(concurrency),
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    let start = ContinuousClock.now
    try process.run()
    var peakKiB = 0
    let status = "/proc/\(process.processIdentifier)/status"
    while process.isRunning {
        let line = (try? String(contentsOfFile: status, encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        let kib = line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
        peakKiB = max(peakKiB, kib ?? 0)
        try await Task.sleep(for: .milliseconds(20))
    }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw LedgerError.storage(context: "ledgerctl ingest", reason: "exited with \(process.terminationStatus)")
    }
    return (seconds(ContinuousClock.now - start), peakKiB)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
