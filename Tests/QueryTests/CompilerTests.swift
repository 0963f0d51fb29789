// What the compiler emits: literals converted to stored units and bound, never pasted; user
// names kept out of SQL; injection attempts landing as bound values or positioned errors; and
// the plan of a run's steps using the index.

import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct CompilerTests {
    private func compile(_ query: String) throws -> CompiledQuery {
        try QueryLanguage.compile(query, now: 1_000_000_000)
    }

    @Test(arguments: [
        ("runs | where cost_usd > 1.5", SQLValue.integer(1_500_000)),
        ("runs | where cost_usd > -0.000001", .integer(-1)),
        ("runs | where duration_s > 5m", .integer(300_000_000)),
        ("runs | where duration_s > 90", .integer(90_000_000)),
        ("runs | where duration_s > 1.25", .integer(1_250_000)),
        ("runs | where started_at > 2026-11-01", .integer(1_793_491_200_000_000)),
        ("runs | where started_at > 2026-11-01T10:00:00+02:00", .integer(1_793_520_000_000_000)),
        ("runs | where started_at > ago(1s)", .integer(999_000_000)),
        ("runs | where billing_discrepancy == true", .integer(1)),
        ("runs | where steps > 3", .integer(3)),
    ])
    func literalsBindInStoredUnits(query: String, bound: SQLValue) throws {
        #expect(try compile(query).arguments == [bound])
    }

    @Test func moneyStaysIntegerThroughArithmetic() throws {
        let compiled = try compile("runs | extend half = cost_usd / 2, more = cost_usd + 0.25, both = cost_usd * 1.5")
        #expect(compiled.columns.suffix(3).map(\.type) == [.money, .money, .money])
        #expect(compiled.arguments == [.integer(2), .integer(250_000), .real(1.5)])
        #expect(compiled.sql.contains("CAST(round("))
    }

    @Test func columnTypesFollowTheirAggregates() throws {
        let compiled = try compile(
            "runs | summarize count(), sum(cost_usd), avg(cost_usd), avg(steps), p95(duration_s), min(started_at) by day(started_at)"
        )
        #expect(
            compiled.columns.map(\.name) == [
                "day_started_at", "count", "sum_cost_usd", "avg_cost_usd", "avg_steps", "p95_duration_s",
                "min_started_at",
            ])
        #expect(compiled.columns.map(\.type) == [.date, .int, .money, .money, .real, .duration, .timestamp])
    }

    @Test func userNamesNeverReachTheSQL() throws {
        let compiled = try compile("runs | extend spent_by_this_run = cost_usd | project spent_by_this_run")
        #expect(!compiled.sql.contains("spent_by_this_run"))
        #expect(compiled.columns.map(\.name) == ["spent_by_this_run"])
    }

    @Test(arguments: [
        #"runs | where state == "x'); DROP TABLE runs; --""#,
        #"runs | where machine_id in ("a", "b\" OR 1=1 --")"#,
        #"events | where data.action.type == "'; DELETE FROM events; --""#,
        #"steps | where message contains "%' OR '1'='1""#,
    ])
    func injectedTextIsABoundValue(query: String) throws {
        let fixture = try QueryStore(SampleRuns.reportFixture())
        let events = try fixture.rows("events | summarize count()")
        let compiled = try compile(query)
        for word in ["DROP", "DELETE", "OR 1", "'1'"] { #expect(!compiled.sql.contains(word), "\(compiled.sql)") }
        #expect(try fixture.result(of: compiled).isEmpty)
        #expect(try fixture.rows("runs | summarize count()") == [["6"]])
        #expect(try fixture.rows("events | summarize count()") == events)
    }

    @Test(arguments: [
        "events | where data.x'); DROP TABLE events; --",
        "events | where data.`x` == 1",
        "runs; DROP TABLE runs",
        "runs | where state == \"a\" -- comment",
        "events | where data.\"a\" == 1",
    ])
    func injectedSyntaxIsAPositionedError(query: String) throws {
        #expect(throws: QueryError.self) { try compile(query) }
    }

    @Test func aRunsStepsAreFoundThroughTheIndexes() throws {
        let fixture = try QueryStore(SampleRuns.reportFixture())
        let plan = try fixture.store.plan(
            of: compile(#"steps | where run_id == "run-a" | project at, step, action_type, message"#))
        #expect(plan.contains { $0.contains("st USING PRIMARY KEY (run_key=?)") }, "\(plan)")
        #expect(plan.contains { $0.contains("streams") && $0.contains("INDEX") }, "\(plan)")
    }

    @Test func queriesOverProjectionsNeverReadTheEvents() throws {
        for query in [
            CannedReports.runs(), CannedReports.cost(by: .day), CannedReports.cost(by: .machine),
            CannedReports.failures(by: .machine), "transitions | summarize count() by run_id",
        ] {
            let compiled = try compile(query)
            #expect(!compiled.sql.contains("events"), "\(query)")
            #expect(!compiled.sql.contains("json_"), "\(query)")
        }
    }
}
