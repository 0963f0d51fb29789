// The store's read-only door for the query language: rows with bound values, plans, refusal of
// anything that writes, SQLite failures in Ledger's words, and ledger_percentile.

import Ledger
import LedgerTestSupport
import Testing

@Suite struct QueryDoorTests {
    let scratch: ScratchDirectory
    let store: LedgerStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        try store.append(SampleRuns.reportFixture())
    }

    @Test func rowsBindArgumentsInOrderAndNameTheirColumns() throws {
        let result = try store.rows(
            sql: "SELECT run_id AS id, steps FROM runs WHERE steps > ? AND machine_id = ? ORDER BY run_id",
            arguments: [.integer(2), .text("m-1")])
        #expect(result.columns == ["id", "steps"])
        #expect(result.rows == [[.text("run-b"), .integer(3)], [.text("run-f"), .integer(4)]])
    }

    @Test(arguments: ["DELETE FROM runs", "UPDATE runs SET steps = 0", "DROP TABLE runs", "CREATE TABLE x (y)"])
    func statementsThatWriteAreRefused(sql: String) throws {
        #expect(throws: LedgerError.query(reason: "only reading statements can run as queries")) {
            try store.rows(sql: sql, arguments: [])
        }
        #expect(try store.runs().count == 6)
    }

    @Test func rowsKeepEveryByteOfTextAndBlobs() throws {
        let data = "before\u{0}after é"
        try store.append([RawEvent(eventID: "1", type: "odd", data: data, receivedAt: 1)], to: "run-nul")
        let result = try store.rows(
            sql: "SELECT data, CAST(data AS BLOB), 2.5 FROM event_log WHERE run_id = ?", arguments: [.text("run-nul")])
        #expect(result.rows == [[.text(data), .blob(Array(data.utf8)), .real(2.5)]])
    }

    @Test func sqliteFailuresAreWordedByLedger() throws {
        #expect(throws: LedgerError.query(reason: "a sum passed the largest 64-bit integer; filter the rows first")) {
            try store.rows(sql: "SELECT sum(?) FROM runs", arguments: [.integer(Int64.max)])
        }
    }

    @Test func aParserStackOverflowIsNotReadAsASumOverflow() throws {
        let nested = String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)
        #expect(throws: LedgerError.query(reason: "the query nests too deeply for SQLite's parser; use fewer stages")) {
            try store.rows(sql: "SELECT \(nested)", arguments: [])
        }
    }

    @Test func planNamesTheIndexesUsed() throws {
        let plan = try store.queryPlan(sql: "SELECT count(*) FROM runs WHERE state = ?", arguments: [.text("failed")])
        #expect(plan.contains { $0.contains("runs_by_state") }, "\(plan)")
    }

    @Test(arguments: [(0.0, 10), (50, 30), (80, 50), (90, 60), (100, 60), (1, 10)])
    func percentileIsTheNearestRankValue(percent: Double, expected: Int64) throws {
        let values = [60, 10, 30, 20, 40, 50, nil].map { $0.map { "(\($0))" } ?? "(NULL)" }.joined(separator: ", ")
        let result = try store.rows(
            sql: "SELECT ledger_percentile(column1, ?) FROM (VALUES \(values))", arguments: [.real(percent)])
        #expect(result.rows == [[.integer(expected)]])
    }

    @Test func percentileOfNothingIsNullAndKeepsRealsReal() throws {
        let empty = try store.rows(sql: "SELECT ledger_percentile(steps, 50) FROM runs WHERE 0", arguments: [])
        #expect(empty.rows == [[.null]])
        let reals = try store.rows(
            sql: "SELECT ledger_percentile(column1, 50) FROM (VALUES (2.5), (1.5))", arguments: [])
        #expect(reals.rows == [[.real(1.5)]])
    }
}
