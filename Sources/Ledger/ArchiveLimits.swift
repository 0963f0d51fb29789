// Hard limits on what an `archives` row may claim, derived from the largest event the store takes
// in. Every count and size a row states is checked here, with checked arithmetic, before anything
// is allocated or inflated: a lying row becomes a `CodecFailure`, never a trap or a huge buffer.

/// The bounds an archive row's event count, raw size and blob must keep.
package enum ArchiveLimits {
    /// The largest message a reader accepts, in bytes: far above any Coasty event, and a bound on
    /// the memory a broken or hostile stream (an endless line) can take. Ingest and import stop a
    /// stream past it, so no stored event's data, id or type is longer.
    package static let messageBytes = 16 << 20

    /// The most canonical-stream bytes one event can take: its id, type and data (each at most
    /// `messageBytes`), its arrival time and the separators around them.
    package static let eventBytes = 3 * messageBytes + 128

    /// The fewest canonical-stream bytes one event takes: `0: 0: 0 0:` and a line feed.
    static let minimumEventBytes = 11

    /// The most events one archive may hold: far above any run compaction could hold in memory.
    package static let events = 1 << 32

    /// The most payload bytes a zlib stream of `blobBytes` can inflate to: deflate's best ratio
    /// is below 1032:1 (a 258-byte match in 2 bits), plus the zlib header and trailer.
    static func inflatedBound(blobBytes: Int) -> Int {
        let (bound, overflow) = blobBytes.multipliedReportingOverflow(by: 1_032)
        return overflow ? Int.max : bound + 1_024
    }

    /// Checks the row's `eventCount` and `rawBytes` (its canonical stream's size) against the hard
    /// limits and against the `blobBytes` the row holds; returns the most bytes its payload may
    /// inflate to.
    static func payloadLimit(eventCount: Int, rawBytes: Int, blobBytes: Int) throws(CodecFailure) -> Int {
        guard (0...events).contains(eventCount) else {
            throw CodecFailure("its row claims \(eventCount) events, beyond the limit of \(events)")
        }
        // Both products fit: `events` × `eventBytes` is below 2^58.
        guard rawBytes >= eventCount * minimumEventBytes, rawBytes <= eventCount * eventBytes else {
            throw CodecFailure(
                "its row claims \(rawBytes) bytes for \(eventCount) events, which no \(eventCount) events can take "
                    + "(each takes \(minimumEventBytes) to \(eventBytes))")
        }
        // The payload is the canonical stream re-encoded: never more than twice its size and a margin.
        let limit = min(rawBytes * 2 + 4_096, inflatedBound(blobBytes: blobBytes))
        // Each event takes at least one byte in each of four sections (type, id, arrival, length).
        guard eventCount <= limit / 4 else {
            throw CodecFailure("its row claims \(eventCount) events, more than its \(blobBytes)-byte blob can hold")
        }
        return limit
    }
}
