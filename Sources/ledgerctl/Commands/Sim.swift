// `ledgerctl sim`: serves the simulated Coasty runs API (CoastySim) until SIGINT or SIGTERM.
// Prints "CoastySim listening on <base URL>" to stderr and the pre-created run ids to stdout,
// one per line, so `ledgerctl sim --runs 50 > runs.txt` feeds `ingest --runs-file runs.txt`.

import ArgumentParser
import CoastySim
import Foundation
import Ledger

struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Serve a simulated Coasty runs API for demos, tests and benchmarks.",
        discussion: """
            Faults (--faults, comma-separated, all off by default):
              drop=K         close each stream after K events, sometimes mid-message
              resend         on Last-Event-ID X, send event X again first
              framing        CR/CRLF line ends, comments, multi-line data, retry
                             and unknown fields, a BOM, opaque and missing ids
              slow=DURATION  wait DURATION (e.g. 20ms) before each event
              throttle=N     answer every Nth stream request with 429 or 503
                             and Retry-After: 1
              end-early      end each run's first stream cleanly right after its
                             first event carrying the terminal state
              cut=N[:reset]  end each run's first stream after N bytes, cleanly
                             or (:reset) by dropping the connection
            """)

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 8080

    @Option(help: "The address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Runs to create at start.")
    var runs = 20

    @Option(help: "The seed every run derives from; the same seed serves the same runs.")
    var seed: UInt64 = 1

    @Option(help: "The X-API-Key clients must send.")
    var apiKey = SimConfiguration.defaultAPIKey

    @Option(help: "Steps a run plans, as MIN-MAX or N.")
    var steps = "5-60"

    @Option(help: "Wall-clock time between log entries (e.g. 200ms); 0 makes each run's log complete at once.")
    var stepInterval = "0"

    @Option(help: "How long a run waits at awaiting_human before resuming itself (e.g. 5s), or 'manual'.")
    var humanDelay = "0"

    @Option(help: "Faults to inject, e.g. drop=7,resend,framing,slow=20ms,throttle=50.")
    var faults = ""

    func validate() throws {
        _ = try makeConfiguration()
    }

    func run() async throws {
        let sim = CoastySim(configuration: try makeConfiguration())
        let baseURL = try await sim.start()
        let runIDs = await sim.runIDs
        FileHandle.standardOutput.write(Data(runIDs.map { $0 + "\n" }.joined().utf8))
        FileHandle.standardError.write(
            Data("CoastySim listening on \(baseURL.absoluteString) (X-API-Key: \(apiKey))\n".utf8))
        await waitForTerminationSignal()
        await sim.stop()
    }

    private func makeConfiguration() throws -> SimConfiguration {
        guard (0...65_535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535, got \(port)")
        }
        guard runs >= 0 else { throw ValidationError("--runs must be 0 or more, got \(runs)") }
        guard !apiKey.isEmpty else { throw ValidationError("--api-key must not be empty") }
        let bounds = steps.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let low = bounds.first ?? nil, let high = bounds.last ?? nil, low >= 0, low <= high, high <= 10_000 else {
            throw ValidationError("--steps must be N or MIN-MAX with 0 ≤ MIN ≤ MAX ≤ 10000, got '\(steps)'")
        }
        guard let interval = Duration(text: stepInterval) else {
            throw ValidationError("--step-interval must be a duration such as 200ms or 1s, got '\(stepInterval)'")
        }
        var delay: Duration?
        if humanDelay != "manual" {
            guard let parsed = Duration(text: humanDelay) else {
                throw ValidationError("--human-delay must be a duration such as 5s, or 'manual', got '\(humanDelay)'")
            }
            delay = parsed
        }
        let faultList: SimFaults
        do {
            faultList = try SimFaults(parsing: faults)
        } catch {
            guard case .invalidConfiguration(let reason) = error else { throw error }
            throw ValidationError("--faults: \(reason)")
        }
        return SimConfiguration(
            host: host, port: port, seed: seed, apiKey: apiKey, initialRuns: runs, stepsPerRun: low...high,
            stepInterval: interval, humanDelay: delay, faults: faultList)
    }
}

/// Returns at the first SIGINT or SIGTERM (both are otherwise ignored while waiting).
private func waitForTerminationSignal() async {
    let (received, continuation) = AsyncStream<Int32>.makeStream()
    let sources = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { continuation.yield(number) }
        source.resume()
        return source
    }
    for await _ in received { break }
    for source in sources { source.cancel() }
}
