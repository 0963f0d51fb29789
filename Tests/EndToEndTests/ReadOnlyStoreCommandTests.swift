// Reading commands through the built binary leave what --db names as it was: an empty file or
// another application's database is refused in one line with exit 1, byte for byte unchanged;
// a read-only copy in a read-only directory is listed, queried and verified with --read-only,
// and a writing command refuses the flag.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct ReadOnlyStoreCommandTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    private func digest(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test func readingCommandsRefuseAFileThatIsNotAStoreAndLeaveItUnchanged() async throws {
        let empty = scratch.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let notes = scratch.path("notes.sqlite")
        try await DatabaseQueue(path: notes).write { try $0.execute(sql: "CREATE TABLE notes (body TEXT)") }
        for path in [empty, notes] {
            let before = try digest(path)
            for command in [["verify"], ["runs"], ["query", "runs | count"], ["stats"]] {
                let result = try await ledgerctl(command + ["--db", path])
                #expect(result.status == 1, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("not a Ledger store"), "\(command): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(command): \(result.stderr)")
                #expect(try digest(path) == before, "\(command)")
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: empty)).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["empty.sqlite", "notes.sqlite"])
    }

    @Test func aReadOnlyCopyInAReadOnlyDirectoryIsReadWithReadOnly() async throws {
        let source = scratch.path("ledger.sqlite")
        do {
            let store = try LedgerStore(path: source)
            try store.append(RunScript.run(steps: 3, start: "2026-11-02T09:00:00Z"), to: "run-a")
            try store.compact(before: .max)
            try store.append(RunScript.run(steps: 2, start: "2026-11-03T09:00:00Z"), to: "run-b")
        }
        let directory = scratch.path("audit")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let path = directory + "/ledger.sqlite"
        try FileManager.default.copyItem(atPath: source, toPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory) }
        let before = try digest(path)

        let verify = try await ledgerctl(["verify", "--read-only", "--db", path])
        #expect(verify.status == 0, "\(verify.stderr)")
        let runs = try await ledgerctl(["runs", "--read-only", "--db", path, "--format", "csv"])
        #expect(runs.status == 0, "\(runs.stderr)")
        #expect(runs.stdout.contains("run-a") && runs.stdout.contains("run-b"))
        let timeline = try await ledgerctl(["timeline", "run-a", "--read-only", "--db", path])
        #expect(timeline.status == 0, "\(timeline.stderr)")
        let compact = try await ledgerctl(["compact", "--older-than", "0d", "--read-only", "--db", path])
        #expect(compact.status == 2, "\(compact.stderr)")
        #expect(compact.stderr.contains("--read-only"))
        #expect(try digest(path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["ledger.sqlite"])
    }
}
