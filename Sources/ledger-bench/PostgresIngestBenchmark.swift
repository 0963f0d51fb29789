// The PostgreSQL benchmark: events/s of 1, 2 and 4 ledgerctl ingest processes at once into one
// PostgreSQL database (each process given its share of the runs, as workers on several hosts
// would be), against one process into a SQLite file, all from the same CoastySim in the same run.

import CoastySim
import Foundation
import Ledger
import LedgerPostgres

struct PostgresIngestBenchmark {
    /// A database on the server to use; each measurement gets a new database beside it.
    var server: String
    var runs = 1_000
    var steps = 300
    /// Runs each process streams at once.
    var concurrency = 32

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ledgerctl = try builtLedgerctl()
        let (sim, baseURL, apiKey, runIDs) = try await startBenchmarkSimulator(seed: 98, runs: runs, steps: steps)
        defer { Task { await sim.stop() } }
        var total = 0
        for runID in runIDs { total += await sim.log(of: runID).count }
        print(
            "postgres benchmark: \(runIDs.count.formatted()) runs, \(total.formatted()) events from CoastySim, "
                + "\(concurrency) runs at a time per process")

        func runsFiles(_ processes: Int) throws -> [String] {
            try (0..<processes).map { index in
                let path = directory.appendingPathComponent("runs-\(processes)-\(index).txt").path
                try runIDs.enumerated().filter { $0.offset % processes == index }.map(\.element)
                    .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
        }
        let sqlite = try await runIngest(
            ledgerctl, runsFile: try runsFiles(1)[0], baseURL: baseURL, apiKey: apiKey,
            store: directory.appendingPathComponent("ledger.sqlite").path, concurrency: concurrency
        ).seconds
        let sqliteRate = Double(total) / sqlite
        print("  SQLite, 1 process: \(Int(sqliteRate).formatted()) events/s")
        for processes in [1, 2, 4] {
            let database = try await PostgresStore.createDatabase(on: server, prefix: "ledger_bench")
            // Set the schema up first, so the processes' own start-up is what every worker pays.
            _ = try await PostgresStore(url: database)
            let files = try runsFiles(processes)
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for file in files {
                    group.addTask {
                        _ = try await runIngest(
                            ledgerctl, runsFile: file, baseURL: baseURL, apiKey: apiKey, store: database,
                            concurrency: concurrency)
                    }
                }
                try await group.waitForAll()
            }
            let rate = Double(total) / seconds(ContinuousClock.now - start)
            let stored = try await PostgresStore(url: database).streams().reduce(0) { $0 + $1.eventCount }
            print(
                "  PostgreSQL, \(processes) process\(processes == 1 ? "" : "es"): \(Int(rate).formatted()) events/s "
                    + String(format: "(%.2fx SQLite)", rate / sqliteRate)
                    + (stored == total ? "" : "; STORED \(stored) OF \(total) EVENTS"))
        }
    }
}
