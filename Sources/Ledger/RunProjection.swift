// One run's projection state: the columns of its `runs` row plus what the projector needs to
// continue from it (the open state interval, the last step's time, the last result's error).
// It is cached between appends, reloaded from its row whenever the cache is dropped, and
// written back with an UPDATE that leaves the indexed columns alone unless they changed.

import GRDB
import GRDBSQLite

/// The state interval a run is in now: entered at `seq` (the run's `position`-th event) at `since`.
struct OpenInterval: Sendable, Equatable {
    var state: String
    var seq: Int64
    var position: Int64
    var since: Int64
}

/// Everything the projections know of one run after its last projected event.
struct RunProjection: Sendable {
    var runKey: Int64
    var runID: String
    var current: OpenInterval?
    var machineID: String?
    var task: String?
    var cuaVersion: String?
    var firstAt = Int64.max
    var lastAt = Int64.min
    var startedAt: Int64?
    var endedAt: Int64?
    var awaitingHumanMicros: Int64 = 0
    var queueWaitMicros: Int64 = 0
    var steps: Int64 = 0
    var costMicros: Int64 = 0
    var reportedSteps: Int64?
    /// The latest result's `error`: its `code` when an object, the text when a string.
    var resultError: String?
    var lastStepAt: Int64?
    var events: Int64 = 0
    var lastSeq: Int64 = 0
    var lastEventID = ""
    /// Changed since its `runs` row was last written.
    var dirty = false
    /// Whether its `runs` row exists.
    var persisted = false
    /// Whether machine, task, version or first event time changed since the row was written.
    var identityChanged = true
    /// Whether the state changed since the row was written.
    var stateChanged = true
    /// Whether the open interval's `transitions` row is written as it stands.
    var intervalWritten = false

    init(runKey: Int64, runID: String) {
        self.runKey = runKey
        self.runID = runID
    }

    /// design.md's rule, for failed, cancelled and timed-out runs only: the result's error, else
    /// the terminal state for cancelled and timed_out, else `unknown`.
    var failureReason: String? {
        switch current?.state {
        case "failed": resultError ?? "unknown"
        case let state? where state == "cancelled" || state == "timed_out": resultError ?? state
        default: nil
        }
    }

    /// A result stated a step count other than the steps seen.
    var billingDiscrepancy: Bool { reportedSteps.map { $0 != steps } ?? false }

    /// From entering `running` to entering a terminal state, when both happened.
    var durationMicros: Int64? {
        guard let startedAt, let endedAt else { return nil }
        return endedAt - startedAt
    }
}

extension RunProjection {
    /// The run's state as its `runs` row holds it, or nil when it has none.
    static func load(_ db: Database, runKey: Int64) throws -> RunProjection? {
        let columns = (["run_key", "run_id"] + RunRowWriter.identityColumns + RunRowWriter.progressColumns)
            .joined(separator: ", ")
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(columns) FROM runs WHERE run_key = ?"), arguments: [runKey])
        else { return nil }
        return RunProjection(
            ProjectedRun(
                runKey: runKey, runId: row["run_id"], state: row["state"], machineId: row["machine_id"],
                task: row["task"], cuaVersion: row["cua_version"], firstEventAt: row["first_event_at"],
                lastEventAt: row["last_event_at"], startedAt: row["started_at"], endedAt: row["ended_at"],
                durationUs: row["duration_us"], awaitingHumanUs: row["awaiting_human_us"],
                queueWaitUs: row["queue_wait_us"], steps: row["steps"], costMicros: row["cost_micros"],
                reportedSteps: row["reported_steps"], billingDiscrepancy: row["billing_discrepancy"],
                failureReason: row["failure_reason"], resultError: row["result_error"],
                lastStepAt: row["last_step_at"], stateSeq: row["state_seq"], statePosition: row["state_position"],
                stateSince: row["state_since"], eventCount: row["event_count"], lastSeq: row["last_seq"],
                lastEventId: row["last_event_id"]))
    }
}

/// Writes `runs` rows: an INSERT for a new run, else an UPDATE of the columns that move with
/// every event, and of the indexed ones (state, machine, first event time) only when they moved,
/// so that their indexes are rewritten only then.
struct RunRowWriter {
    /// The state, then the indexed or rarely changing columns: parameters 3 to 7 (1 is run_key, 2 run_id).
    static let identityColumns = ["state", "machine_id", "task", "cua_version", "first_event_at"]
    /// Columns that change with most events, bound as parameters 8 on.
    static let progressColumns = [
        "last_event_at", "started_at", "ended_at", "duration_us", "awaiting_human_us", "queue_wait_us", "steps",
        "cost_micros", "reported_steps", "billing_discrepancy", "failure_reason", "result_error", "last_step_at",
        "state_seq", "state_position", "state_since", "event_count", "last_seq", "last_event_id",
    ]

    private static let insertSQL: String = {
        let all = ["run_key", "run_id"] + identityColumns + progressColumns
        let parameters = all.indices.map { "?\($0 + 1)" }
        return "INSERT INTO runs (\(all.joined(separator: ", "))) VALUES (\(parameters.joined(separator: ", ")))"
    }()
    private static let progress = assignments(progressColumns, from: 3 + identityColumns.count)
    private static let updateAllSQL =
        "UPDATE runs SET \(assignments(identityColumns, from: 3)), \(progress) WHERE run_key = ?1"
    private static let updateStateSQL = "UPDATE runs SET state = ?3, \(progress) WHERE run_key = ?1"
    private static let updateProgressSQL = "UPDATE runs SET \(progress) WHERE run_key = ?1"

    private static func assignments(_ columns: [String], from first: Int) -> String {
        columns.enumerated().map { "\($1) = ?\(first + $0)" }.joined(separator: ", ")
    }

    private let db: Database
    private let insert: OpaquePointer
    private let updateAll: OpaquePointer
    private let updateState: OpaquePointer
    private let updateProgress: OpaquePointer

    init(_ db: Database) throws {
        self.db = db
        insert = try db.cachedStatement(sql: Self.insertSQL).sqliteStatement
        updateAll = try db.cachedStatement(sql: Self.updateAllSQL).sqliteStatement
        updateState = try db.cachedStatement(sql: Self.updateStateSQL).sqliteStatement
        updateProgress = try db.cachedStatement(sql: Self.updateProgressSQL).sqliteStatement
    }

    /// Writes `run`'s row and marks it written.
    func write(_ run: inout RunProjection) throws {
        let statement =
            !run.persisted ? insert : run.identityChanged ? updateAll : run.stateChanged ? updateState : updateProgress
        sqlite3_reset(statement)
        sqlite3_bind_int64(statement, 1, run.runKey)
        if !run.persisted { StatementBinding.text(statement, 2, run.runID) }
        if run.stateChanged || run.identityChanged || !run.persisted {
            StatementBinding.text(statement, 3, run.current?.state)
        }
        if run.identityChanged || !run.persisted {
            StatementBinding.text(statement, 4, run.machineID)
            StatementBinding.text(statement, 5, run.task)
            StatementBinding.text(statement, 6, run.cuaVersion)
            sqlite3_bind_int64(statement, 7, run.firstAt)
        }
        sqlite3_bind_int64(statement, 8, run.lastAt)
        StatementBinding.integer(statement, 9, run.startedAt)
        StatementBinding.integer(statement, 10, run.endedAt)
        StatementBinding.integer(statement, 11, run.durationMicros)
        sqlite3_bind_int64(statement, 12, run.awaitingHumanMicros)
        sqlite3_bind_int64(statement, 13, run.queueWaitMicros)
        sqlite3_bind_int64(statement, 14, run.steps)
        sqlite3_bind_int64(statement, 15, run.costMicros)
        StatementBinding.integer(statement, 16, run.reportedSteps)
        sqlite3_bind_int64(statement, 17, run.billingDiscrepancy ? 1 : 0)
        StatementBinding.text(statement, 18, run.failureReason)
        StatementBinding.text(statement, 19, run.resultError)
        StatementBinding.integer(statement, 20, run.lastStepAt)
        StatementBinding.integer(statement, 21, run.current?.seq)
        StatementBinding.integer(statement, 22, run.current?.position)
        StatementBinding.integer(statement, 23, run.current?.since)
        sqlite3_bind_int64(statement, 24, run.events)
        sqlite3_bind_int64(statement, 25, run.lastSeq)
        StatementBinding.text(statement, 26, run.lastEventID)
        try StatementBinding.run(statement, in: db)
        run.persisted = true
        run.identityChanged = false
        run.stateChanged = false
    }
}
