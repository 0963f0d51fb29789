// Runs the built ledgerctl binary as a subprocess, the way users and scripts do, capturing its
// exit status, stdout and stderr separately. Every run is bounded in time.

import Foundation
import Testing

/// The result of one ledgerctl invocation.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The ledgerctl executable built beside the test bundle (`swift test` builds it).
let ledgerctlURL: URL = {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug"),
    ].map { $0.appendingPathComponent("ledgerctl") }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
}()

/// Starts ledgerctl with `arguments`; the caller waits or signals it.
func startLedgerctl(
    _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil
) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    process.executableURL = ledgerctlURL
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["LEDGER_DB"] = nil
    env["LEDGER_STORE"] = nil
    env["COASTY_API_KEY"] = nil
    env["COASTY_BASE_URL"] = nil
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    if let stdin {
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    } else {
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }
    return (process, out, err)
}

/// Runs ledgerctl to completion (killing it after `timeout`) and returns what it printed.
func ledgerctl(
    _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, timeout: Duration = .seconds(120)
) async throws -> ProcessResult {
    let (process, out, err) = try startLedgerctl(arguments, environment: environment, stdin: stdin)
    async let stdoutData = readToEnd(out)
    async let stderrData = readToEnd(err)
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            Issue.record("ledgerctl \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            break
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: await stdoutData, as: UTF8.self),
        stderr: String(decoding: await stderrData, as: UTF8.self))
}

/// Everything written to `pipe`, read on a GCD thread: blocking reads on the few threads of the
/// Swift concurrency pool would starve the in-process simulator the subprocess talks to.
func readToEnd(_ pipe: Pipe) async -> Data {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
    }
}

/// The repository's Examples folder.
let examplesURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Examples")

/// Runs each of `reports` (ledgerctl arguments) on the SQLite store `sqlite` and the PostgreSQL
/// store `postgres`, in table and JSON format, and expects both to succeed with the same output.
func expectSameReports(_ reports: [[String]], sqlite: String, postgres: String) async throws {
    for report in reports {
        for format in ["table", "json"] {
            let arguments = report + ["--format", format]
            let onFile = try await ledgerctl(arguments + ["--store", sqlite])
            let onServer = try await ledgerctl(arguments + ["--store", postgres])
            #expect(onFile.status == 0, "\(report): \(onFile.stderr)")
            #expect(onServer.status == 0, "\(report): \(onServer.stderr)")
            #expect(onServer.stdout == onFile.stdout, "\(report) as \(format)")
        }
    }
}
