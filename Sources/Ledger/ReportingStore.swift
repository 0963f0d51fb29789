// The interface reports go through: the projections (as the query language's SQL reads them),
// a run's timeline, the price table, rebuilding and compaction. SQLite (LedgerStore) and
// PostgreSQL (LedgerPostgres) both implement it, each keeping its projections current with every
// append and reading archived runs as if they were live.

/// The SQL dialect a store runs.
package enum SQLEngine: Sendable {
    case sqlite, postgresql
}

/// A store that answers reports.
package protocol ReportingStore: EventStore {
    /// Which SQL `rows(sql:arguments:)` takes.
    var engine: SQLEngine { get }
    /// Runs one reading statement, its `?` bound to `arguments` in order, over projections that
    /// include every stored event.
    func rows(sql: String, arguments: [SQLValue]) async throws -> QueryResult
    /// Runs one reading statement like `rows(sql:arguments:)`, handing each row to `body` as it
    /// is read instead of collecting them, so memory holds about one row at a time.
    func streamRows(sql: String, arguments: [SQLValue], into body: @escaping @Sendable ([SQLValue]) throws -> Void)
        async throws
    /// The database's plan for `sql`, one line per step, indented by depth.
    func queryPlan(sql: String, arguments: [SQLValue]) async throws -> [String]
    /// The events of `runID` in stream order (only the last `last` when given); empty when the run is unknown.
    func timeline(of runID: String, last: Int?) async throws -> [TimelineRow]
    /// The events of `runID` like `timeline(of:last:)`, handed to `body` one by one as they are
    /// read; returns how many (0 when the run is unknown).
    func streamTimeline(of runID: String, last: Int?, into body: @escaping @Sendable (TimelineRow) throws -> Void)
        async throws -> Int
    /// The price table, oldest first.
    func prices() async throws -> [PriceRow]
    /// Makes `price` the price of a step from `from` on, re-pricing the stored steps it covers.
    func setPrice(_ price: Money, from: Int64) async throws -> PriceChange
    /// Drops every projection row and recomputes it from the stored events; `progress` gets
    /// (events applied, events to apply) every `progressInterval` events.
    func rebuild(progressInterval: Int, progress: @escaping @Sendable (Int, Int) -> Void) async throws
        -> RebuildSummary
    /// Archives every terminal run whose last event arrived before `cutoff` (UTC microseconds) and
    /// that has no archive yet, only those of `runIDs` when given; `progress` gets the summary so far
    /// and the number of runs to archive.
    func archiveRuns(
        before cutoff: Int64, only runIDs: Set<String>?, reclaim: SpaceReclaim,
        progress: @escaping @Sendable (_ sofar: CompactionSummary, _ candidates: Int) -> Void
    ) async throws -> CompactionSummary
    /// The runs that have an archive.
    func archivedRunIDs() async throws -> Set<String>
}

extension LedgerStore: ReportingStore {
    package var engine: SQLEngine { .sqlite }

    package func streamRows(
        sql: String, arguments: [SQLValue], into body: @escaping @Sendable ([SQLValue]) throws -> Void
    ) throws {
        try forEachRow(sql: sql, arguments: arguments, body)
    }

    package func streamTimeline(
        of runID: String, last: Int?, into body: @escaping @Sendable (TimelineRow) throws -> Void
    ) throws -> Int {
        try timeline(of: runID, last: last, body)
    }

    package func rebuild(progressInterval: Int, progress: @escaping @Sendable (Int, Int) -> Void) throws
        -> RebuildSummary
    {
        try rebuildProjections(progressInterval: progressInterval, progress: progress)
    }

    package func archiveRuns(
        before cutoff: Int64, only runIDs: Set<String>?, reclaim: SpaceReclaim,
        progress: @escaping @Sendable (_ sofar: CompactionSummary, _ candidates: Int) -> Void
    ) throws -> CompactionSummary {
        try compact(before: cutoff, only: runIDs, reclaim: reclaim, progress: progress)
    }
}
