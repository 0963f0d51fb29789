// The simulator's state: every run's plan and the log that grows from it on its own clock, the
// streams waiting for new entries, and cancel/resume. The log is the truth: entries are only
// appended, and each keeps the bytes it was first framed with, so replays are byte-identical.

/// Where a response starts in a run's log.
struct StreamStart: Sendable {
    /// The first entry to send.
    let position: Int
    /// The entry named by `Last-Event-ID`, when it exists (the resend fault sends it again).
    let resumedFrom: LogEntry?
}

/// A slice of a run's log read by a response.
struct LogBatch: Sendable {
    let entries: [LogEntry]
    /// True when the run has ended and no entry follows these.
    let isComplete: Bool
}

/// Owns all runs and their logs.
actor RunStore {
    private enum Phase { case active, awaitingHuman, ended }

    private struct Record {
        let plan: RunPlan
        var cursor = 0
        var log: [LogEntry] = []
        var positionByID: [String: Int] = [:]
        var firedCuts: Set<Int> = []
        var steps = 0
        var state = "queued"
        var phase = Phase.active
        var lastTime: Int64
        var result: JSONValue = .null
        /// Whether the terminal state and the result are in the log; the run has ended once both are.
        var endedState = false
        var hasResult = false
        /// Events responses served for this run so far (the `end-early` and `cut` faults act on the first).
        var responses = 0

        /// The run object of `GET /v1/runs/{id}`.
        var json: JSONValue {
            let request = plan.request
            return .members([
                "run_id": .string(plan.runID), "state": .string(state), "machine_id": .string(request.machineID),
                "task": .string(request.task), "cua_version": .string(request.cuaVersion.rawValue),
                "instructions": .optional(request.instructions), "max_steps": .optional(request.maxSteps),
                "deadline_seconds": .optional(request.deadlineSeconds), "webhook_url": .optional(request.webhookURL),
                "on_awaiting_human": .string(request.onAwaitingHuman.rawValue),
                "created_at": .string(SimTime.iso8601(plan.createdAt)),
                "updated_at": .string(SimTime.iso8601(lastTime)),
                "steps": .int(Int64(steps)), "result": result,
            ])
        }
    }

    static let terminalStates: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]
    private static let batchLimit = 256

    private let configuration: SimConfiguration
    private let generator: RunGenerator
    private var records: [String: Record] = [:]
    private(set) var runIDs: [String] = []
    private var clocks: [String: Task<Void, Never>] = [:]
    private var waiters: [Int: (runID: String, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextWaiterToken = 0
    private var eventsRequests = 0
    private var initialRunsCreated = false
    private var isStopped = false

    init(configuration: SimConfiguration) {
        self.configuration = configuration
        self.generator = RunGenerator(seed: configuration.seed, stepsPerRun: configuration.stepsPerRun)
    }

    /// Creates the configured initial runs, once, so they take creation indexes 0..<initialRuns.
    func createInitialRuns() {
        guard !initialRunsCreated else { return }
        initialRunsCreated = true
        for index in 0..<max(0, configuration.initialRuns) {
            create(generator.initialRequest(index: index))
        }
    }

    /// Creates a run; its first entry (`state queued`) is in the log when this returns.
    @discardableResult
    func create(_ request: CreateRunRequest) -> String {
        createInitialRuns()
        let plan = generator.plan(index: runIDs.count, request: request)
        records[plan.runID] = Record(plan: plan, lastTime: plan.createdAt)
        runIDs.append(plan.runID)
        if appendNext(to: plan.runID) == .more { proceed(plan.runID) }
        return plan.runID
    }

    /// The API's run object.
    func runObject(_ runID: String) throws(SimError) -> JSONValue {
        try record(runID).json
    }

    /// The canonical entries of a run's log so far; empty for an unknown run.
    func events(of runID: String) -> [SimEvent] {
        records[runID]?.log.map(\.event) ?? []
    }

    /// The framed bytes of each entry of a run's log; empty for an unknown run.
    func entryBytes(of runID: String) -> [[UInt8]] {
        records[runID]?.log.map(\.bytes) ?? []
    }

    /// Ends a run that has not reached a terminal state: appends `state cancelled` and its result.
    func cancel(_ runID: String) throws(SimError) -> JSONValue {
        var record = try record(runID)
        guard !Self.terminalStates.contains(record.state), !record.hasResult else {
            throw .conflict(
                "run '\(runID)' has already ended as \(record.state); only a run that has not ended can be cancelled")
        }
        clocks.removeValue(forKey: runID)?.cancel()
        for scripted in generator.cancellation(after: record.lastTime, steps: record.steps) {
            append(scripted, to: &record)
        }
        records[runID] = record
        wakeWaiters(of: runID)
        return record.json
    }

    /// Continues a run paused at `awaiting_human`.
    func resume(_ runID: String) throws(SimError) -> JSONValue {
        let record = try record(runID)
        guard record.phase == .awaitingHuman else {
            throw .conflict("run '\(runID)' is \(record.state), not awaiting_human; only a paused run can be resumed")
        }
        clocks.removeValue(forKey: runID)?.cancel()
        continueAfterPause(runID)
        return try self.record(runID).json
    }

    /// Where a response for `runID` starts: after the entry with id `lastEventID`, or at the
    /// beginning when there is none or no entry has that id.
    func streamStart(of runID: String, lastEventID: String?) throws(SimError) -> StreamStart {
        let record = try record(runID)
        guard let lastEventID, let position = record.positionByID[lastEventID] else {
            return StreamStart(position: 0, resumedFrom: nil)
        }
        return StreamStart(position: position + 1, resumedFrom: record.log[position])
    }

    /// True the first time a response reaches cut point `position` of the run's log: that response
    /// drops its connection there; later ones pass.
    func claimCut(of runID: String, at position: Int) -> Bool {
        records[runID]?.firedCuts.insert(position).inserted ?? false
    }

    /// The entries from `position` on (at most a batch), and whether the log is complete after them.
    func read(_ runID: String, from position: Int) throws(SimError) -> LogBatch {
        guard !isStopped else { throw .stopped }
        let record = try record(runID)
        let end = min(record.log.count, position + Self.batchLimit)
        let entries = position < end ? Array(record.log[position..<end]) : []
        return LogBatch(entries: entries, isComplete: record.phase == .ended && end >= record.log.count)
    }

    /// Returns once the log of `runID` holds more than `count` entries, the run has ended, the
    /// store stops, or the calling task is cancelled.
    func waitForEntries(of runID: String, beyond count: Int) async {
        let token = nextWaiterToken
        nextWaiterToken += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                guard !isStopped, !Task.isCancelled, let record = records[runID], record.phase != .ended,
                    record.log.count <= count
                else {
                    continuation.resume()
                    return
                }
                waiters[token] = (runID, continuation)
            }
        } onCancel: {
            Task { await self.releaseWaiter(token) }
        }
    }

    /// Counts an events response served for `runID`; true for the run's first.
    func claimResponse(of runID: String) -> Bool {
        guard var record = records[runID] else { return false }
        record.responses += 1
        records[runID] = record
        return record.responses == 1
    }

    /// Numbers events requests 1, 2, 3, ... (the throttle fault answers some of them).
    func nextEventsRequestNumber() -> Int {
        eventsRequests += 1
        return eventsRequests
    }

    /// Stops every run clock and ends every waiting stream.
    func stop() {
        isStopped = true
        for clock in clocks.values { clock.cancel() }
        clocks.removeAll()
        for waiter in waiters.values { waiter.continuation.resume() }
        waiters.removeAll()
    }

    // MARK: - Growing the logs

    private enum Progress { case more, paused, ended }

    /// Appends the rest of the script at once (no step interval) or starts the run's clock.
    private func proceed(_ runID: String) {
        guard !isStopped else { return }
        if configuration.stepInterval <= .zero {
            var progress = Progress.more
            while progress == .more { progress = appendNext(to: runID) }
            if progress == .paused { schedulePause(of: runID) }
        } else {
            let interval = configuration.stepInterval
            clocks[runID] = Task {
                var progress = Progress.more
                while progress == .more {
                    do { try await Task.sleep(for: interval) } catch { return }
                    progress = self.appendNext(to: runID)
                }
                if progress == .paused { self.schedulePause(of: runID) }
            }
        }
    }

    /// What happens to a run that just paused at `awaiting_human`.
    private func schedulePause(of runID: String) {
        switch configuration.humanDelay {
        case nil:
            clocks.removeValue(forKey: runID)
        case let delay? where delay <= .zero:
            continueAfterPause(runID)
        case let delay?:
            clocks[runID] = Task {
                do { try await Task.sleep(for: delay) } catch { return }
                self.continueAfterPause(runID)
            }
        }
    }

    private func continueAfterPause(_ runID: String) {
        guard var record = records[runID], record.phase == .awaitingHuman else { return }
        record.phase = .active
        records[runID] = record
        proceed(runID)
    }

    /// Appends the next scripted event of an active run.
    private func appendNext(to runID: String) -> Progress {
        guard var record = records[runID], record.phase == .active, record.cursor < record.plan.script.count else {
            return .ended
        }
        let scripted = record.plan.script[record.cursor]
        record.cursor += 1
        append(scripted, to: &record)
        if record.phase == .active, scripted.pausesForHuman { record.phase = .awaitingHuman }
        records[runID] = record
        wakeWaiters(of: runID)
        switch record.phase {
        case .active: return .more
        case .awaitingHuman: return .paused
        case .ended: return .ended
        }
    }

    private func append(_ scripted: ScriptedEvent, to record: inout Record) {
        let entry = SSEFraming.entry(
            for: scripted, index: record.log.count, streamKey: record.plan.streamKey,
            tricky: configuration.faults.trickyFraming)
        if let id = entry.event.id { record.positionByID[id] = record.log.count }
        record.log.append(entry)
        record.lastTime = scripted.time
        switch scripted.type {
        case "step": record.steps += 1
        case "state":
            record.state = scripted.payload["state"]?.stringValue ?? record.state
            record.endedState = record.endedState || Self.terminalStates.contains(record.state)
        case "result":
            record.result = scripted.payload["result"] ?? .null
            record.hasResult = true
        default: break
        }
        if record.endedState && record.hasResult { record.phase = .ended }
    }

    // MARK: - Waiters

    private func wakeWaiters(of runID: String) {
        for (token, waiter) in waiters where waiter.runID == runID {
            waiters.removeValue(forKey: token)
            waiter.continuation.resume()
        }
    }

    private func releaseWaiter(_ token: Int) {
        waiters.removeValue(forKey: token)?.continuation.resume()
    }

    private func record(_ runID: String) throws(SimError) -> Record {
        guard let record = records[runID] else { throw .runNotFound(runID) }
        return record
    }
}
