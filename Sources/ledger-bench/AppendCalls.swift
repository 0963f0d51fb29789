// How the benchmarks feed the store: synthetic runs as RawEvents, grouped into append calls
// either whole runs one after another or many runs interleaved, as concurrent ingest writes them.

import Foundation
import Ledger

/// `count` synthetic runs of `steps` steps each, as the store receives them.
func syntheticRuns(count: Int, steps: Int, seed: UInt64) -> [RunBatch] {
    let receivedAt = UTCTime.now()
    return (0..<count).map { index in
        RunBatch(
            runID: String(format: "run-%08d", index),
            events: SyntheticStreams.run(index: index, seed: seed, steps: steps).enumerated().map { offset, event in
                RawEvent(eventID: event.id, type: event.type, data: event.data, receivedAt: receivedAt + Int64(offset))
            })
    }
}

/// Whole runs one after another, about `eventsPerCall` events per append.
func wholeRunCalls(_ runs: [RunBatch], eventsPerCall: Int) -> [[RunBatch]] {
    var calls: [[RunBatch]] = []
    var call: [RunBatch] = []
    var count = 0
    for run in runs {
        call.append(run)
        count += run.events.count
        if count >= eventsPerCall {
            calls.append(call)
            call = []
            count = 0
        }
    }
    if !call.isEmpty { calls.append(call) }
    return calls
}

/// `runsAtOnce` runs at a time, each append carrying a few events of every one of them, about
/// `eventsPerCall` events per append.
func interleavedCalls(_ runs: [RunBatch], runsAtOnce: Int, eventsPerCall: Int) -> [[RunBatch]] {
    let perRun = max(1, eventsPerCall / max(1, runsAtOnce))
    var calls: [[RunBatch]] = []
    for start in stride(from: 0, to: runs.count, by: max(1, runsAtOnce)) {
        let wave = runs[start..<min(start + runsAtOnce, runs.count)]
        let longest = wave.map(\.events.count).max() ?? 0
        for offset in stride(from: 0, to: longest, by: perRun) {
            calls.append(
                wave.compactMap { run in
                    guard offset < run.events.count else { return nil }
                    return RunBatch(
                        runID: run.runID, events: Array(run.events[offset..<min(offset + perRun, run.events.count)]))
                })
        }
    }
    return calls
}
