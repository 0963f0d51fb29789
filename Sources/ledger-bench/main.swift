// ledger-bench: Ledger's benchmarks, each printing its figures next to a baseline measured in
// the same run. Build in release first (the ingest benchmark runs the built ledgerctl):
//   swift build -c release && .build/release/ledger-bench [parse|append|ingest|projections|query|compact|memory|postgres|all]
//     [--events N] [--store postgres://…]
// `postgres` (and `all`, when a server is given) needs a PostgreSQL server: --store or
// $LEDGER_BENCH_POSTGRES names a database on it (`.ci/postgres start` starts a throwaway one).

import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let which = arguments.first ?? "all"
let events = arguments.firstIndex(of: "--events").flatMap { arguments.dropFirst($0 + 1).first.flatMap { Int($0) } }
let postgres =
    arguments.firstIndex(of: "--store").flatMap { arguments.dropFirst($0 + 1).first }
    ?? ProcessInfo.processInfo.environment["LEDGER_BENCH_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

switch which {
case "parse":
    runParseBenchmark(megabytes: 512)
case "append":
    try AppendBenchmark(events: events ?? 1_000_000).run()
case "ingest":
    try await IngestBenchmark(steps: (events ?? 1_000_000) / 1_000).run()
case "projections":
    try ProjectionBenchmark().run()
case "query":
    try QueryBenchmark().run()
case "memory":
    try MemoryBenchmark().run()
case "compact":
    try await CompactBenchmark(runs: (events ?? 2_000_000) / 100).run()
case "postgres":
    guard let postgres else {
        FileHandle.standardError.write(
            Data("ledger-bench postgres: give --store postgres://user@host:port/db or set LEDGER_BENCH_POSTGRES\n".utf8))
        exit(2)
    }
    try await PostgresIngestBenchmark(server: postgres, steps: (events ?? 300_000) / 1_000).run()
case "all":
    runParseBenchmark(megabytes: 512)
    try AppendBenchmark(events: events ?? 1_000_000).run()
    try await IngestBenchmark(steps: (events ?? 1_000_000) / 1_000).run()
    try ProjectionBenchmark().run()
    try QueryBenchmark().run()
    try await CompactBenchmark(runs: (events ?? 2_000_000) / 100).run()
    try MemoryBenchmark().run()
    if let postgres { try await PostgresIngestBenchmark(server: postgres, steps: (events ?? 300_000) / 1_000).run() }
default:
    FileHandle.standardError.write(Data("usage: ledger-bench [parse|append|ingest|projections|query|compact|memory|postgres|all] [--events N] [--store postgres://…]\n".utf8))
    exit(2)
}
