// The projections' fold: events, each run's in stream order, into run projections, step rows and
// state intervals. It knows no database: each store loads the runs it is asked for and writes what
// the fold collects (SQLite through the Projector, PostgreSQL in its append transaction), so both
// stores project with the same rules.

/// The runs, steps and state intervals folded from events, waiting to be written.
package struct ProjectionFold {
    /// The runs seen, changed or not, by run key.
    var runs: [Int64: RunProjection] = [:]
    /// Run keys changed since the last drain, in the order they first changed.
    private(set) var dirtyKeys: [Int64] = []
    var stepRows = StepRows()
    /// State intervals to write: entered, and ended (at `endedAt`) or still open (nil).
    var transitionRows: [(interval: OpenInterval, runKey: Int64, endedAt: Int64?)] = []
    let prices: PriceTable
    /// The highest seq applied.
    private(set) var lastApplied: Int64

    init(prices: PriceTable, runs: [Int64: RunProjection], lastApplied: Int64) {
        self.prices = prices
        self.runs = runs
        self.lastApplied = lastApplied
    }

    /// Applies one event stored as `seq`, the `runKey` run's next. `load` gives a run the fold has
    /// not seen: its stored projection, or a new one.
    mutating func apply(
        seq: Int64, runKey: Int64, eventID: String, data: UnsafeBufferPointer<UInt8>,
        scanned: UnsafePointer<ScannedEvent>, receivedAt: Int64, load: (Int64) throws -> RunProjection
    ) rethrows {
        // The run's state is swapped out of the dictionary and back, so it is changed in place. A
        // throw leaves a placeholder behind, which is harmless: every caller drops the fold on errors.
        let slot = runs.index(forKey: runKey)
        var run = RunProjection(runKey: runKey, runID: "")
        if let slot { swap(&run, &runs.values[slot]) } else { run = try load(runKey) }
        let at = scanned.pointee.time ?? receivedAt
        run.events += 1
        run.lastSeq = seq
        run.lastEventID = eventID
        if at < run.firstAt {
            run.firstAt = at
            run.identityChanged = true
        }
        run.lastAt = max(run.lastAt, at)
        if run.machineID == nil, let slice = scanned.pointee.fields.machineID {
            run.machineID = EventScanner.text(slice, in: data)
            run.identityChanged = true
        }
        if run.task == nil, let slice = scanned.pointee.fields.task {
            run.task = EventScanner.text(slice, in: data)
            run.identityChanged = true
        }
        if run.cuaVersion == nil, let slice = scanned.pointee.fields.cuaVersion {
            run.cuaVersion = EventScanner.text(slice, in: data)
            run.identityChanged = true
        }
        if let slice = scanned.pointee.fields.state,
            !(run.current.map { EventScanner.text(slice, in: data, equals: $0.state) } ?? false)
        {
            enter(EventScanner.text(slice, in: data), at: at, seq: seq, run: &run)
        }
        switch scanned.pointee.kind {
        case .step:
            step(scanned, data: data, at: at, run: &run)
        case .result:
            run.reportedSteps = scanned.pointee.reportedSteps
            run.resultError = (scanned.pointee.fields.errorCode ?? scanned.pointee.fields.errorText)
                .map { EventScanner.text($0, in: data) }.flatMap { $0.isEmpty ? nil : $0 }
        case .other: break
        }
        if !run.dirty {
            run.dirty = true
            dirtyKeys.append(runKey)
        }
        if let slot { swap(&run, &runs.values[slot]) } else { runs[runKey] = run }
        lastApplied = max(lastApplied, seq)
    }

    /// Hands each changed run to `write`, adds the interval each is in now to `transitionRows`
    /// unless written as it stands, and marks them unchanged.
    mutating func drainDirtyRuns(_ write: (inout RunProjection) throws -> Void) rethrows {
        for key in dirtyKeys {
            guard var run = runs[key] else { continue }
            try write(&run)
            if let open = run.current, !run.intervalWritten { transitionRows.append((open, key, nil)) }
            run.dirty = false
            run.intervalWritten = true
            runs[key] = run
        }
        dirtyKeys.removeAll(keepingCapacity: true)
    }

    /// Moves the run into `state`, another than its current one, closing the interval it leaves.
    private mutating func enter(_ state: String, at: Int64, seq: Int64, run: inout RunProjection) {
        if let current = run.current {
            let duration = at - current.since
            transitionRows.append((current, run.runKey, at))
            if current.state == "awaiting_human" { run.awaitingHumanMicros += duration }
            if current.state == "queued" { run.queueWaitMicros += duration }
        }
        run.current = OpenInterval(state: state, seq: seq, position: run.events, since: at)
        run.intervalWritten = false
        run.stateChanged = true
        if state == "running", run.startedAt == nil { run.startedAt = at }
        if EventFacts.isTerminal(state), run.endedAt == nil { run.endedAt = at }
    }

    /// Costs a step at the price of its time and buffers its `steps` row.
    private mutating func step(
        _ scanned: UnsafePointer<ScannedEvent>, data: UnsafeBufferPointer<UInt8>, at: Int64,
        run: inout RunProjection
    ) {
        let price = prices.micros(at: at)
        run.steps += 1
        run.costMicros += price
        let gap = run.lastStepAt.map { at - $0 }
        run.lastStepAt = at
        stepRows.append(
            PendingStep(
                runKey: run.runKey, position: run.events,
                step: scanned.pointee.step, at: at, gap: gap, price: price),
            actionType: scanned.pointee.fields.actionType, message: scanned.pointee.fields.message, in: data)
    }
}
