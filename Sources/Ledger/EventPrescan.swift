// A live append stores events on one thread; the JSON scan the projections need for each of
// them runs on another core meanwhile, so that scanning costs the append little time. The
// scan only reads the events and writes offsets into their data, which the projector reads
// back from its own copy of the same strings.

import Dispatch
import Glibc
import Synchronization

/// The scanned projection fields of one event and what they give: its kind, the time of its
/// `ts`, and its step numbers.
struct ScannedEvent {
    /// Empty when the data is not JSON.
    var fields: ScannedFields
    var kind: EventScanner.Kind
    var time: Int64?
    /// `step`.
    var step: Int64?
    /// `result.steps`.
    var reportedSteps: Int64?

    init(_ data: UnsafeBufferPointer<UInt8>, sseType: String) {
        fields = EventScanner.scan(data) ?? ScannedFields()
        kind = EventScanner.kind(fields.event, in: data, sseType: sseType)
        time = fields.ts.flatMap { EventScanner.time($0, in: data) }
        step = kind == .step ? fields.step.flatMap { EventScanner.integer($0, in: data) } : nil
        reportedSteps = kind == .result ? fields.resultSteps.flatMap { EventScanner.integer($0, in: data) } : nil
    }
}

/// The scan of every event of an append's batches, in order, filled by a background task and
/// read as it fills.
final class EventPrescan: @unchecked Sendable {
    private let scanned: UnsafeMutableBufferPointer<ScannedEvent>
    /// How many leading entries of `scanned` are written (published with release ordering).
    private let ready = Atomic<Int>(0)
    /// Where each batch's events start in `scanned`.
    private let batchStarts: [Int]

    /// Starts scanning `batches` in the background.
    init(_ batches: [RunBatch]) {
        var starts: [Int] = []
        var total = 0
        for batch in batches {
            starts.append(total)
            total += batch.events.count
        }
        batchStarts = starts
        scanned = .allocate(capacity: total)
        // The task holds `self`, so the buffer lives until the scan ends even if the append is abandoned.
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            var index = 0
            for batch in batches {
                for event in batch.events {
                    var data = event.data
                    (scanned.baseAddress! + index).initialize(to: data.withUTF8 { ScannedEvent($0, sseType: event.type) })
                    index += 1
                    ready.store(index, ordering: .releasing)
                }
            }
        }
    }

    deinit {
        scanned.baseAddress.map { $0.deinitialize(count: ready.load(ordering: .acquiring)) }
        scanned.deallocate()
    }

    /// The scan of event `index` of batch `batch`, waiting for it when the scan is behind. Read
    /// in place: it is valid while this prescan is.
    func event(_ index: Int, ofBatch batch: Int) -> UnsafePointer<ScannedEvent> {
        let position = batchStarts[batch] + index
        var spins = 0
        while ready.load(ordering: .acquiring) <= position {
            spins += 1
            if spins > 64 { sched_yield() }
        }
        return UnsafePointer(scanned.baseAddress! + position)
    }
}
