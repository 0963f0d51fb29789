// The memory benchmark: one run of about 600 MB (40 messages of 15 MiB), then the peak resident
// memory of the built ledgerctl reading it as child processes (`timeline`, `query --format ndjson`,
// `runs`) and compacting it, each measured by /usr/bin/time (its maximum RSS). Target: under 300 MiB.

import Foundation
import Ledger

struct MemoryBenchmark {
    var messages = 40
    var messageBytes = 15 << 20
    /// The most a command may hold, in MiB.
    var target = 300

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.sqlite").path
        let store = try LedgerStore(path: path)
        let runID = "run-large"
        let start = UTCTime.parse("2026-11-01T00:00:00Z") ?? 0
        try store.append(
            [RawEvent(eventID: "0", type: "message", data: #"{"event":"state","state":"running"}"#, receivedAt: start)],
            to: runID)
        // One message at a time, so building the store holds one message, not the run.
        for index in 1...messages {
            let filler = String(repeating: String(UnicodeScalar(UInt8(97 + index % 26))), count: messageBytes)
            let data = #"{"event":"step","state":"running","step":\#(index),"message":"\#(filler)"}"#
            try store.append(
                [RawEvent(eventID: String(index), type: "message", data: data, receivedAt: start + Int64(index))],
                to: runID)
        }
        try store.append(
            [
                RawEvent(
                    eventID: String(messages + 1), type: "message", data: #"{"event":"state","state":"succeeded"}"#,
                    receivedAt: start + Int64(messages + 1))
            ], to: runID)
        print(
            "memory benchmark: one run of \(messages + 2) events, \(messages) messages of \(messageBytes >> 20) MiB "
                + "(\(messages * messageBytes / 1_000_000) MB); peak RSS of ledgerctl (target under \(target) MiB):")
        let commands: [[String]] = [
            ["timeline", runID], ["timeline", runID, "--format", "json"],
            ["query", "events | where run_id == '\(runID)'", "--format", "ndjson"], ["runs"], ["compact", "--older-than", "0s"],
        ]
        for command in commands {
            let peak = try peakResidentMiB(command + ["--db", path], in: directory)
            print(
                "  ledgerctl \(command.joined(separator: " ")): "
                    + (peak.map { "\($0) MiB" + ($0 < target ? "" : " (over the target)") } ?? "failed"))
        }
    }

    /// The maximum resident memory of ledgerctl run with `arguments`, its output discarded; nil when it fails.
    private func peakResidentMiB(_ arguments: [String], in directory: URL) throws -> Int? {
        let ledgerctl = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("ledgerctl").path
        let report = directory.appendingPathComponent("time.txt").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%M", "-o", report, ledgerctl] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle.standardError
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let text = try? String(contentsOfFile: report, encoding: .utf8),
            let kilobytes = Int(text.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) ?? "")
        else { return nil }
        return kilobytes >> 10
    }
}
