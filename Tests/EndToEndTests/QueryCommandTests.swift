// `ledgerctl query` through the built binary: rows in every format with money, durations and
// times printed as such; the query from --file or stdin; --explain with the plan; an error
// echoed with a caret under the spot on stderr and exit 1; and each report's --show-query.

import Foundation
import LedgerTestSupport
import Testing

@Suite struct QueryCommandTests {
    let scratch: ScratchDirectory
    let db: String

    init() async throws {
        scratch = try ScratchDirectory()
        db = scratch.path("ledger.sqlite")
        let transcript = examplesURL.appendingPathComponent("refund-run.sse").path
        let result = try await ledgerctl(["import", transcript, "--run", "run-refund", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func queryPrintsTypedColumnsInCSV() async throws {
        let result = try await ledgerctl([
            "query", "runs | project run_id, cost_usd, duration_s, started_at, billing_discrepancy", "--db", db,
            "--format", "csv",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout
                == "run_id,cost_usd,duration_s,started_at,billing_discrepancy\r\nrun-refund,0.40,133.221,2026-11-02T09:14:02.274Z,no\r\n"
        )
        #expect(result.stderr.isEmpty)
    }

    @Test(arguments: ["table", "json", "csv", "ndjson"])
    func everyFormatPrintsTheRows(format: String) async throws {
        let result = try await ledgerctl([
            "query", "steps | summarize n = count(), avg_gap = avg(gap_s) by action_type", "--db", db, "--format",
            format,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("action_type"))
    }

    @Test func theQueryComesFromAFileOrStdin() async throws {
        let file = scratch.path("q.kql")
        try "steps\n| summarize count()\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try await ledgerctl(["query", "--file", file, "--db", db, "--format", "csv"])
        #expect(fromFile.stdout == "count\r\n8\r\n", "\(fromFile.stderr)")
        let fromStdin = try await ledgerctl(
            ["query", "--db", db, "--format", "csv"], stdin: Data("steps | summarize count()".utf8))
        #expect(fromStdin.stdout == "count\r\n8\r\n", "\(fromStdin.stderr)")
    }

    @Test func anErrorEchoesTheQueryWithACaretAndExitsOne() async throws {
        let result = try await ledgerctl(["query", "runs\n| where coast > 1", "--db", db])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr == """
                ledgerctl: query:2:9: unknown column 'coast' in runs; did you mean 'cost_usd'?
                    | where coast > 1
                            ^

                """)
    }

    @Test func explainPrintsTheSQLTheBoundValuesAndThePlan() async throws {
        let result = try await ledgerctl([
            "query", "--explain", #"steps | where run_id == "run-refund" | project at, message"#, "--db", db,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("FROM steps st JOIN streams rs"))
        #expect(result.stdout.contains(#"-- bound: ?1 = "run-refund""#))
        #expect(result.stdout.contains("st USING PRIMARY KEY (run_key=?)"), "\(result.stdout)")
    }

    @Test(arguments: [["runs", "--failed"], ["cost", "--by", "day"], ["failures", "--by", "machine"]])
    func reportsShowTheirQueryAndItGivesTheSameRows(command: [String]) async throws {
        let shown = try await ledgerctl(command + ["--show-query", "--db", db])
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix("runs\n|") || shown.stdout.hasPrefix("steps\n|"))
        let report = try await ledgerctl(command + ["--db", db, "--format", "csv"])
        let query = try await ledgerctl(["query", shown.stdout, "--db", db, "--format", "csv"])
        #expect(query.stdout == report.stdout)
    }

    @Test func helpTeachesTheLanguage() async throws {
        let help = try await ledgerctl(["help", "query"])
        for text in ["summarize", "Audit", "Billing", "Debugging", "cost_usd money", "ago(7d)"] {
            #expect(help.stdout.contains(text), "help lacks \(text)")
        }
    }
}
