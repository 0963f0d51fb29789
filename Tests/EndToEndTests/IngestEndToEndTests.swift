// End-to-end ingest: the built ledgerctl streams runs from CoastySim over real HTTP on
// 127.0.0.1 with connection drops, resends and tricky framing, and every run's stored events
// must equal the server's log: in order, none lost, none twice. Also after SIGKILL and rerun,
// and with two ingest processes on the same runs at once.

import CoastySim
import Foundation
import Ledger
import LedgerPostgres
import LedgerTestSupport
import Testing

/// What Ledger must hold for a run whose server log is `log`: keys by design.md's rule.
func expectedEvents(_ log: [SimEvent]) -> [(key: String, type: String, data: String)] {
    StreamKeys.expected(log.map { ($0.id, $0.type, $0.data) })
}

/// Checks that every run's stored events equal the simulator's log exactly.
func expectStoreMatches(_ sim: CoastySim, runs: [String], db: String) async throws {
    try await expectStoreMatches(sim, runs: runs, store: LedgerStore(path: db, create: false))
}

/// Checks that every run's events in `store` equal the simulator's log exactly and chain intact.
func expectStoreMatches(_ sim: CoastySim, runs: [String], store: any EventStore) async throws {
    for run in runs {
        let expected = expectedEvents(await sim.log(of: run))
        let stored = try await store.events(of: run)
        #expect(stored.count == expected.count, "run \(run): \(stored.count) stored, \(expected.count) sent")
        #expect(stored.map(\.eventID) == expected.map(\.key), "run \(run): keys differ")
        #expect(stored.map(\.type) == expected.map(\.type), "run \(run): types differ")
        #expect(stored.map(\.data) == expected.map(\.data), "run \(run): data differs")
    }
    #expect(try await store.verify(progressInterval: 250_000) { _ in }.isIntact)
}

@Suite(.serialized) struct IngestEndToEndTests {
    let scratch: ScratchDirectory
    let db: String

    init() throws {
        scratch = try ScratchDirectory()
        db = scratch.path("ledger.sqlite")
    }

    private func startSim(runs: Int, faults: SimFaults, seed: UInt64 = 11) async throws -> (CoastySim, URL, [String]) {
        var configuration = SimConfiguration(seed: seed)
        configuration.initialRuns = runs
        configuration.stepsPerRun = 4...30
        configuration.faults = faults
        let sim = CoastySim(configuration: configuration)
        let url = try await sim.start()
        return (sim, url, await sim.runIDs)
    }

    private func runsFile(_ runs: [String]) throws -> String {
        let path = scratch.path("runs.txt")
        try (["# runs to ingest"] + runs).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private var hostileFaults: SimFaults {
        var faults = SimFaults()
        faults.dropEvery = 4
        faults.resendOnResume = true
        faults.trickyFraming = true
        return faults
    }

    @Test func everyRunArrivesExactlyOnceThroughDropsResendsAndTrickyFraming() async throws {
        let (sim, url, runs) = try await startSim(runs: 40, faults: hostileFaults)
        defer { Task { await sim.stop() } }
        let result = try await ledgerctl([
            "ingest", "--runs-file", try runsFile(runs), "--base-url", url.absoluteString,
            "--api-key", sim.configuration.apiKey, "--db", db, "--concurrency", "16",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains(sim.configuration.apiKey), "the API key must never be printed")
        try await expectStoreMatches(sim, runs: runs, db: db)

        let again = try await ledgerctl([
            "ingest", "--runs-file", try runsFile(runs), "--base-url", url.absoluteString, "--db", db,
        ], environment: ["COASTY_API_KEY": sim.configuration.apiKey])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains(" 0 new events"), "\(again.stderr)")
        try await expectStoreMatches(sim, runs: runs, db: db)
    }

    @Test func runsCutRightAfterTheirTerminalEventStillArriveWhole() async throws {
        var faults = hostileFaults
        faults.endEarly = true
        let (sim, url, runs) = try await startSim(runs: 100, faults: faults, seed: 16)
        defer { Task { await sim.stop() } }
        let result = try await ledgerctl([
            "ingest", "--runs-file", try runsFile(runs), "--base-url", url.absoluteString,
            "--api-key", sim.configuration.apiKey, "--db", db, "--concurrency", "16",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        try await expectStoreMatches(sim, runs: runs, db: db)
        let open = try await ledgerctl(["runs", "--open", "--format", "json", "--db", db])
        #expect(open.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(open.stdout)")
        let listed = try await ledgerctl(["runs", "--format", "json", "--db", db])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 100 && rows.allSatisfy { $0["complete"] as? Bool == true }, "\(listed.stdout)")
        let verify = try await ledgerctl(["verify", "--db", db])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(!verify.stderr.contains("open"), "\(verify.stderr)")
    }

    @Test func ingestOpenFinishesEveryRunAKilledIngestLeftOpen() async throws {
        var faults = hostileFaults
        faults.writeDelay = .milliseconds(20)
        faults.endEarly = true
        let (sim, url, runs) = try await startSim(runs: 30, faults: faults, seed: 17)
        defer { Task { await sim.stop() } }
        let store = try LedgerStore(path: db)
        let (process, _, _) = try startLedgerctl([
            "ingest", "--runs-file", try runsFile(runs), "--base-url", url.absoluteString,
            "--api-key", sim.configuration.apiKey, "--db", db, "--concurrency", "30",
        ])
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning, ContinuousClock.now < deadline {
            if let streams = try? store.streams(), streams.count == runs.count, streams.reduce(0, { $0 + $1.eventCount }) > 100 {
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = try await ledgerctl(["verify", "--db", db])
        #expect(before.status == 0 && before.stderr.contains("runs open"), "\(before.stderr)")
        let listed = try await ledgerctl(["runs", "--open", "--format", "csv", "--db", db])
        #expect(listed.stdout.split(whereSeparator: \.isNewline).count > 1, "\(listed.stdout)")

        let resumed = try await ledgerctl([
            "ingest", "--open", "--base-url", url.absoluteString, "--api-key", sim.configuration.apiKey, "--db", db,
        ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try await expectStoreMatches(sim, runs: runs, db: db)
        #expect(try store.streams().allSatisfy(\.isComplete))
    }

    /// The stores ingest is tested against: the SQLite file, and PostgreSQL when a server is given.
    static let storeKinds = TestPostgres.serverURL == nil ? ["sqlite"] : ["sqlite", "postgres"]

    /// A new, empty store of `kind`: its location for `--store`, and the store itself, opened.
    private func makeStore(_ kind: String) async throws -> (location: String, store: any EventStore) {
        if kind == "postgres" {
            let url = try await TestPostgres.makeDatabase()
            return (url, try await PostgresStore(url: url))
        }
        return (db, try LedgerStore(path: db))
    }

    @Test(arguments: storeKinds)
    func killedIngestResumesWithoutLossOrDuplicates(store kind: String) async throws {
        var faults = hostileFaults
        faults.writeDelay = .milliseconds(3)
        let (sim, url, runs) = try await startSim(runs: 40, faults: faults, seed: 12)
        defer { Task { await sim.stop() } }
        let (location, store) = try await makeStore(kind)
        let arguments = [
            "ingest", "--runs-file", try runsFile(runs), "--base-url", url.absoluteString,
            "--api-key", sim.configuration.apiKey, "--store", location, "--concurrency", "8",
        ]
        let killAfter = Int.random(in: 20...200)
        let (process, _, _) = try startLedgerctl(arguments)
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning, ContinuousClock.now < deadline {
            if let count = try? await store.streams().reduce(0, { $0 + $1.eventCount }), count >= killAfter { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "ingest finished before it could be killed")

        let rerun = try await ledgerctl(arguments)
        #expect(rerun.status == 0, "killed after \(killAfter) events: \(rerun.stderr)")
        try await expectStoreMatches(sim, runs: runs, store: store)
    }

    @Test func twoIngestProcessesOnTheSameRunsStoreEachEventOnce() async throws {
        let (sim, url, runs) = try await startSim(runs: 40, faults: hostileFaults, seed: 13)
        defer { Task { await sim.stop() } }
        let arguments = [
            "ingest", "--runs-file", try runsFile(runs), "--base-url", url.absoluteString,
            "--api-key", sim.configuration.apiKey, "--db", db, "--concurrency", "12",
        ]
        async let first = ledgerctl(arguments)
        async let second = ledgerctl(arguments)
        let results = try await [first, second]
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        try await expectStoreMatches(sim, runs: runs, db: db)
    }

    @Test(.enabled(if: TestPostgres.serverURL != nil, "needs LEDGER_TEST_POSTGRES"))
    func fourIngestProcessesIntoPostgresStoreEachEventOnceAsSQLiteDoes() async throws {
        let (sim, url, runs) = try await startSim(runs: 40, faults: hostileFaults, seed: 15)
        defer { Task { await sim.stop() } }
        let postgres = try await TestPostgres.makeDatabase()
        // Four workers, each given three quarters of the runs, in its own order: every run is
        // streamed by three processes at once.
        let lists = try (0..<4).map { worker in
            let mine = runs.enumerated().filter { ($0.offset + worker) % 4 != 0 }.map(\.element)
            let path = scratch.path("runs-\(worker).txt")
            try (worker % 2 == 0 ? mine : mine.reversed()).joined(separator: "\n")
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for list in lists {
                group.addTask {
                    try await ledgerctl([
                        "ingest", "--runs-file", list, "--base-url", url.absoluteString,
                        "--api-key", sim.configuration.apiKey, "--store", postgres, "--concurrency", "8",
                    ])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let store = try await PostgresStore(url: postgres)
        try await expectStoreMatches(sim, runs: runs, store: store)
        let verify = try await ledgerctl(["verify", "--store", postgres])
        #expect(verify.status == 0, "\(verify.stderr)")

        let sqlite = try await ledgerctl([
            "ingest", "--runs-file", try runsFile(runs), "--base-url", url.absoluteString,
            "--api-key", sim.configuration.apiKey, "--db", db,
        ])
        #expect(sqlite.status == 0, "\(sqlite.stderr)")
        let file = try LedgerStore(path: db, create: false)
        // Arrival times (and so the hashes) differ between the two ingests; the content may not.
        func content(_ events: [StoredEvent]) -> [String] { events.map { "\($0.eventID) \($0.type) \($0.data)" } }
        for run in runs {
            #expect(content(try await store.events(of: run)) == content(try file.events(of: run)), "run \(run)")
            #expect(try await store.stream(of: run)?.resumeID == file.stream(of: run)?.resumeID)
        }
        let failed = try #require(try file.runs(RunFilter(failedOnly: true)).first?.runID ?? runs.first)
        try await expectSameReports(
            [
                ["runs"], ["cost", "--by", "day"], ["cost", "--by", "machine"], ["cost", "--by", "state"],
                ["cost", "--by", "task"], ["cost", "--discrepancies"], ["failures"], ["failures", "--by", "machine"],
                ["timeline", failed, "--gaps"],
                ["query", "transitions | summarize runs = dcount(run_id), p50(duration_s) by state | sort by state"],
            ], sqlite: db, postgres: postgres)
    }

    @Test func wrongKeyFailsEachRunWithOneClearLine() async throws {
        let (sim, url, runs) = try await startSim(runs: 3, faults: SimFaults(), seed: 14)
        defer { Task { await sim.stop() } }
        let result = try await ledgerctl(
            ["ingest"] + runs + ["--base-url", url.absoluteString, "--api-key", "wrong-key", "--db", db])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("HTTP 401") }
        #expect(lines.count == 3, "\(result.stderr)")
        for run in runs { #expect(lines.contains { $0.contains("run \(run):") }) }
        #expect(!result.stderr.contains("wrong-key"))
    }

    @Test func unreachableServerFailsClearlyAfterBoundedRetries() async throws {
        let result = try await ledgerctl(
            ["ingest", "run_x", "--base-url", "http://127.0.0.1:9", "--max-attempts", "3", "--db", db],
            timeout: .seconds(60))
        #expect(result.status == 1)
        #expect(result.stderr.contains("run run_x: gave up after 3 attempts in a row"), "\(result.stderr)")
    }

    @Test func throttledServerIsRetriedAfterRetryAfter() async throws {
        var faults = SimFaults()
        faults.throttleEvery = 3
        let (sim, url, runs) = try await startSim(runs: 4, faults: faults, seed: 15)
        defer { Task { await sim.stop() } }
        let result = try await ledgerctl(
            ["ingest"] + runs + ["--base-url", url.absoluteString, "--api-key", sim.configuration.apiKey, "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        try await expectStoreMatches(sim, runs: runs, db: db)
    }
}
