// SQLite stores filled with CoastySim's runs without a server, for the end-to-end tests of the
// commands that read or copy a store.

import CoastySim
import Ledger

/// Stores `runs` simulated runs in `db` as if ingested live (each event arriving 40 ms after its
/// `ts`, in 2025, so they are old) and returns their ids. Every run ends.
func storeSimulatedRuns(runs: Int, steps: ClosedRange<Int>, seed: UInt64, db: String) async throws -> [String] {
    var configuration = SimConfiguration(seed: seed)
    configuration.initialRuns = runs
    configuration.stepsPerRun = steps
    let sim = CoastySim(configuration: configuration)
    let ids = await sim.runIDs
    let store = try LedgerStore(path: db)
    var batches: [RunBatch] = []
    for id in ids {
        let events = expectedEvents(await sim.log(of: id)).map { event in
            RawEvent(
                eventID: event.key, type: event.type, data: event.data,
                receivedAt: EventFacts(sseType: event.type, data: event.data, receivedAt: 0).at + 40_000)
        }
        batches.append(RunBatch(runID: id, events: events))
    }
    try store.append(batches)
    return ids
}
