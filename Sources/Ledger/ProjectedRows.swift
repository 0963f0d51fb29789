// The projection rows as plain values, for a store that writes them itself rather than through
// the SQLite Projector: a `runs` row, a `steps` row, a `transitions` row. Property names are the
// schema's columns in camel case (a `runs` row decodes from its JSON with snake-case keys); `json`
// writes a row as an object keyed by its columns (JSONEncoder is far slower, and appends write many).

/// One `runs` row.
package struct ProjectedRun: Decodable, Sendable, Equatable {
    package var runKey: Int64
    package var runId: String
    package var state: String?
    package var machineId: String?
    package var task: String?
    package var cuaVersion: String?
    package var firstEventAt: Int64
    package var lastEventAt: Int64
    package var startedAt: Int64?
    package var endedAt: Int64?
    package var durationUs: Int64?
    package var awaitingHumanUs: Int64
    package var queueWaitUs: Int64
    package var steps: Int64
    package var costMicros: Int64
    package var reportedSteps: Int64?
    package var billingDiscrepancy: Bool
    package var failureReason: String?
    package var resultError: String?
    package var lastStepAt: Int64?
    package var stateSeq: Int64?
    package var statePosition: Int64?
    package var stateSince: Int64?
    package var eventCount: Int64
    package var lastSeq: Int64
    package var lastEventId: String
}

/// One `steps` row.
package struct ProjectedStep: Sendable, Equatable {
    package var runKey: Int64
    package var position: Int64
    package var step: Int64?
    package var at: Int64
    package var actionType: String?
    package var message: String?
    package var gapUs: Int64?
    package var priceMicros: Int64
}

/// One `transitions` row: a state interval, ended or (no end) the one its run is in now.
package struct ProjectedInterval: Sendable, Equatable {
    package var runKey: Int64
    package var seq: Int64
    package var position: Int64
    package var state: String
    package var startedAt: Int64
    package var endedAt: Int64?
    package var durationUs: Int64?
}

/// What a fold changed since it was last drained.
package struct ProjectionChanges: Sendable {
    /// The changed runs' whole rows.
    package var runs: [ProjectedRun] = []
    /// New steps.
    package var steps: [ProjectedStep] = []
    /// Intervals entered or ended; an ended one replaces its open row.
    package var intervals: [ProjectedInterval] = []
}

extension ProjectedRun {
    /// The row as a JSON object keyed by its columns.
    package var json: JSONValue {
        .object([
            ("run_key", .int(runKey)), ("run_id", .text(runId)), ("state", .text(state)),
            ("machine_id", .text(machineId)), ("task", .text(task)), ("cua_version", .text(cuaVersion)),
            ("first_event_at", .int(firstEventAt)), ("last_event_at", .int(lastEventAt)),
            ("started_at", .int(startedAt)), ("ended_at", .int(endedAt)), ("duration_us", .int(durationUs)),
            ("awaiting_human_us", .int(awaitingHumanUs)), ("queue_wait_us", .int(queueWaitUs)),
            ("steps", .int(steps)), ("cost_micros", .int(costMicros)), ("reported_steps", .int(reportedSteps)),
            ("billing_discrepancy", .bool(billingDiscrepancy)), ("failure_reason", .text(failureReason)),
            ("result_error", .text(resultError)), ("last_step_at", .int(lastStepAt)), ("state_seq", .int(stateSeq)),
            ("state_position", .int(statePosition)), ("state_since", .int(stateSince)),
            ("event_count", .int(eventCount)), ("last_seq", .int(lastSeq)), ("last_event_id", .text(lastEventId)),
        ])
    }
}

extension ProjectedStep {
    /// The row as a JSON object keyed by its columns.
    package var json: JSONValue {
        .object([
            ("run_key", .int(runKey)), ("position", .int(position)), ("step", .int(step)),
            ("at", .int(at)), ("action_type", .text(actionType)), ("message", .text(message)), ("gap_us", .int(gapUs)),
            ("price_micros", .int(priceMicros)),
        ])
    }
}

extension ProjectedInterval {
    /// The row as a JSON object keyed by its columns.
    package var json: JSONValue {
        .object([
            ("run_key", .int(runKey)), ("seq", .int(seq)), ("position", .int(position)), ("state", .text(state)),
            ("started_at", .int(startedAt)), ("ended_at", .int(endedAt)), ("duration_us", .int(durationUs)),
        ])
    }
}

extension JSONValue {
    /// A whole number, or null.
    fileprivate static func int(_ value: Int64?) -> JSONValue { value.map { .number(String($0)) } ?? .null }
    /// A string, or null. A NUL (which JSON data can spell `\u0000`) becomes U+FFFD: PostgreSQL
    /// text cannot hold it, and the event itself keeps every byte.
    fileprivate static func text(_ value: String?) -> JSONValue {
        guard let value else { return .null }
        guard value.unicodeScalars.contains("\u{0}") else { return .string(value) }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: value.unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 })
        return .string(String(scalars))
    }
}

extension ProjectionFold {
    /// A fold costing steps with `prices`.
    package init(prices: PriceTable) {
        self.init(prices: prices, runs: [:], lastApplied: 0)
    }

    /// Continues `run` from its stored row.
    package mutating func seed(_ run: ProjectedRun) {
        runs[run.runKey] = RunProjection(run)
    }

    /// Applies `event`, stored as `seq`, the next event of `runID` (key `runKey`); a run neither
    /// seeded nor seen before starts from nothing.
    package mutating func apply(_ event: RawEvent, seq: Int64, runKey: Int64, runID: String) {
        var data = event.data
        data.withUTF8 { bytes in
            withUnsafePointer(to: ScannedEvent(bytes, sseType: event.type)) { scanned in
                apply(
                    seq: seq, runKey: runKey, eventID: event.eventID, data: bytes, scanned: scanned,
                    receivedAt: event.receivedAt
                ) { RunProjection(runKey: $0, runID: runID) }
            }
        }
    }

    /// The rows changed since the last drain.
    package mutating func drain() -> ProjectionChanges {
        var changes = ProjectionChanges()
        drainDirtyRuns { run in
            changes.runs.append(ProjectedRun(run))
            run.persisted = true
            run.identityChanged = false
            run.stateChanged = false
        }
        changes.steps = stepRows.drain()
        changes.intervals = transitionRows.map { row in
            ProjectedInterval(
                runKey: row.runKey, seq: row.interval.seq, position: row.interval.position, state: row.interval.state,
                startedAt: row.interval.since, endedAt: row.endedAt, durationUs: row.endedAt.map { $0 - row.interval.since })
        }
        transitionRows.removeAll()
        return changes
    }
}

extension ProjectedRun {
    init(_ run: RunProjection) {
        self.init(
            runKey: run.runKey, runId: run.runID, state: run.current?.state, machineId: run.machineID, task: run.task,
            cuaVersion: run.cuaVersion, firstEventAt: run.firstAt, lastEventAt: run.lastAt, startedAt: run.startedAt,
            endedAt: run.endedAt, durationUs: run.durationMicros, awaitingHumanUs: run.awaitingHumanMicros,
            queueWaitUs: run.queueWaitMicros, steps: run.steps, costMicros: run.costMicros,
            reportedSteps: run.reportedSteps, billingDiscrepancy: run.billingDiscrepancy,
            failureReason: run.failureReason, resultError: run.resultError, lastStepAt: run.lastStepAt,
            stateSeq: run.current?.seq, statePosition: run.current?.position, stateSince: run.current?.since,
            eventCount: run.events, lastSeq: run.lastSeq, lastEventId: run.lastEventID)
    }
}

extension RunProjection {
    /// The run as its stored row leaves it.
    init(_ row: ProjectedRun) {
        self.init(runKey: row.runKey, runID: row.runId)
        if let state = row.state, let seq = row.stateSeq, let position = row.statePosition, let since = row.stateSince {
            current = OpenInterval(state: state, seq: seq, position: position, since: since)
        }
        machineID = row.machineId
        task = row.task
        cuaVersion = row.cuaVersion
        firstAt = row.firstEventAt
        lastAt = row.lastEventAt
        startedAt = row.startedAt
        endedAt = row.endedAt
        awaitingHumanMicros = row.awaitingHumanUs
        queueWaitMicros = row.queueWaitUs
        steps = row.steps
        costMicros = row.costMicros
        reportedSteps = row.reportedSteps
        resultError = row.resultError
        lastStepAt = row.lastStepAt
        events = row.eventCount
        lastSeq = row.lastSeq
        lastEventID = row.lastEventId
        persisted = true
        identityChanged = false
        stateChanged = false
        intervalWritten = true
    }
}
