// Copying one store into another (`ledgerctl migrate-store`): every run's events in stream
// order, with their arrival times, so each chain comes out hash for hash the same; the runs the
// source keeps archived are then archived in the copy too; and a check of the copy against the
// source. Appends are idempotent, so an interrupted copy is resumed by running it again: runs
// already copied whole are skipped, a run cut short is completed.

/// What a copy did.
package struct StoreCopySummary: Sendable, Equatable {
    package var runs = 0
    /// Runs the target already held whole.
    package var runsSkipped = 0
    package var events = 0
    package var stored = AppendOutcome()
}

/// Where a copied run disagrees with its source.
package struct CopyMismatch: Sendable, Equatable {
    package var runID: String
    package var detail: String
}

package enum StoreCopy {
    /// Copies every run of `source` into `target`, appending about `eventsPerAppend` events at a
    /// time; `progress` gets (runs done, runs in all, events copied) after each append.
    package static func copy(
        from source: any EventStore, to target: any EventStore, eventsPerAppend: Int = 20_000,
        progress: (_ runsDone: Int, _ runs: Int, _ events: Int) -> Void = { _, _, _ in }
    ) async throws -> StoreCopySummary {
        let runs = try await source.streams()
        let copied = try await streamsByRun(of: target)
        var summary = StoreCopySummary(runs: runs.count)
        var pending: [RunBatch] = []
        var pendingEvents = 0
        var done = 0
        func flush() async throws {
            guard !pending.isEmpty else { return }
            summary.stored += try await target.append(pending)
            summary.events += pendingEvents
            pending = []
            pendingEvents = 0
            progress(done, runs.count, summary.events)
        }
        for run in runs {
            done += 1
            if let existing = copied[run.runID], existing.eventCount == run.eventCount,
                existing.headHash == run.headHash
            {
                summary.runsSkipped += 1
                continue
            }
            // Only the event the source resumes after moves the copy's resume point: id-less
            // messages and Ledger's own annotations leave it where the source has it.
            let events = try await source.events(of: run.runID).map { stored in
                var event = RawEvent(
                    eventID: stored.eventID, type: stored.type, data: stored.data, receivedAt: stored.receivedAt)
                event.resumeID = stored.eventID == run.resumeID ? stored.eventID : nil
                return event
            }
            pending.append(RunBatch(runID: run.runID, events: events))
            pendingEvents += events.count
            if pendingEvents >= eventsPerAppend { try await flush() }
        }
        try await flush()
        // Conflicting redeliveries kept aside in the source are kept aside in the copy the same
        // way: appended after the events they conflict with (again a no-op when already there).
        var conflicts: [String: [RawEvent]] = [:]
        for conflict in try await source.conflicts() {
            conflicts[conflict.runID, default: []].append(
                .annotation(
                    eventID: conflict.eventID, type: conflict.type, data: conflict.data,
                    receivedAt: conflict.receivedAt))
        }
        if !conflicts.isEmpty {
            summary.stored += try await target.append(conflicts.map { RunBatch(runID: $0.key, events: $0.value) })
        }
        try await target.keepRefused(try await source.refusedMessages())
        // A run confirmed complete in the source is complete in the copy, as of the same time.
        let copiedNow = try await streamsByRun(of: target)
        for run in runs {
            guard let completedAt = run.completedAt, copiedNow[run.runID]?.completedAt != completedAt else { continue }
            try await target.markComplete(run.runID, eventCount: run.eventCount, at: completedAt)
        }
        return summary
    }

    /// Archives in `target` the runs `source` keeps archived and `target` does not yet; returns
    /// what that did.
    package static func archive(
        like source: any ReportingStore, in target: any ReportingStore,
        progress: @escaping @Sendable (_ sofar: CompactionSummary, _ runs: Int) -> Void = { _, _ in }
    ) async throws -> CompactionSummary {
        let missing = try await source.archivedRunIDs().subtracting(try await target.archivedRunIDs())
        guard !missing.isEmpty else { return CompactionSummary() }
        return try await target.archiveRuns(before: .max, only: missing, reclaim: .incremental, progress: progress)
    }

    /// The runs whose copy in `target` differs from `source` in event count, chain head, resume
    /// point, archiving or conflicts kept aside (a matching head means every event matches, hash
    /// for hash).
    package static func mismatches(between source: any ReportingStore, and target: any ReportingStore)
        async throws -> [CopyMismatch]
    {
        let copies = try await streamsByRun(of: target)
        var mismatches: [CopyMismatch] = []
        let archivedCopies = try await target.archivedRunIDs()
        for runID in try await source.archivedRunIDs().subtracting(archivedCopies).sorted() {
            mismatches.append(CopyMismatch(runID: runID, detail: "archived in the source, not in the copy"))
        }
        for run in try await source.streams() {
            guard let copy = copies[run.runID] else {
                mismatches.append(CopyMismatch(runID: run.runID, detail: "missing from the copy"))
                continue
            }
            if copy.eventCount != run.eventCount || copy.headHash != run.headHash {
                mismatches.append(
                    CopyMismatch(
                        runID: run.runID,
                        detail: "\(copy.eventCount) events in the copy, \(run.eventCount) in the source, "
                            + (copy.headHash == run.headHash ? "same chain head" : "different chain heads")))
            } else if copy.resumeID != run.resumeID {
                mismatches.append(
                    CopyMismatch(
                        runID: run.runID, detail: "resumes after \(copy.resumeID), the source after \(run.resumeID)"))
            } else if copy.isComplete != run.isComplete {
                mismatches.append(
                    CopyMismatch(
                        runID: run.runID,
                        detail: run.isComplete ? "complete in the source, open in the copy" : "open in the source, complete in the copy"))
            }
        }
        let conflictKey = { (conflict: Conflict) in "\(conflict.runID) \(conflict.eventID) \(conflict.type) \(conflict.data)" }
        let copiedConflicts = Set(try await target.conflicts().map(conflictKey))
        for conflict in try await source.conflicts() where !copiedConflicts.contains(conflictKey(conflict)) {
            mismatches.append(
                CopyMismatch(
                    runID: conflict.runID,
                    detail: "the conflicting redelivery of event \(conflict.eventID) is missing from the copy"))
        }
        return mismatches
    }

    private static func streamsByRun(of store: any EventStore) async throws -> [String: StreamSummary] {
        Dictionary(try await store.streams().map { ($0.runID, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
