// ledger-bench: Ledger's benchmarks, each printing its figures next to a baseline measured in
// the same run. Build in release: `swift run -c release ledger-bench [append|parse|all]`.

import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let which = arguments.first ?? "all"
let events = arguments.firstIndex(of: "--events").flatMap { arguments.dropFirst($0 + 1).first.flatMap { Int($0) } }

switch which {
case "append":
    try AppendBenchmark(events: events ?? 1_000_000).run()
case "parse":
    runParseBenchmark(megabytes: 512)
case "all":
    runParseBenchmark(megabytes: 512)
    try AppendBenchmark(events: events ?? 1_000_000).run()
default:
    FileHandle.standardError.write(Data("usage: ledger-bench [append|parse|all] [--events N]\n".utf8))
    exit(2)
}
