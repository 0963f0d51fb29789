// ledger-bench: Ledger's benchmarks, each printing its figures next to a baseline measured in
// the same run. Build in release first (the ingest benchmark runs the built ledgerctl):
//   swift build -c release && .build/release/ledger-bench [parse|append|ingest|projections|query|compact|all] [--events N]

import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let which = arguments.first ?? "all"
let events = arguments.firstIndex(of: "--events").flatMap { arguments.dropFirst($0 + 1).first.flatMap { Int($0) } }

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
case "compact":
    try await CompactBenchmark(runs: (events ?? 2_000_000) / 100).run()
case "all":
    runParseBenchmark(megabytes: 512)
    try AppendBenchmark(events: events ?? 1_000_000).run()
    try await IngestBenchmark(steps: (events ?? 1_000_000) / 1_000).run()
    try ProjectionBenchmark().run()
    try QueryBenchmark().run()
    try await CompactBenchmark(runs: (events ?? 2_000_000) / 100).run()
default:
    FileHandle.standardError.write(Data("usage: ledger-bench [parse|append|ingest|projections|query|compact|all] [--events N]\n".utf8))
    exit(2)
}
