// The values that go into and come out of the store: one raw SSE message as received,
// the counts an append reports, and a stored event with its place in the run's stream.

/// One dispatched SSE message of a run, exactly as received.
package struct RawEvent: Sendable, Equatable {
    /// The event's key within its run: its own SSE id, or `<last id>#<n>` for id-less messages.
    package var eventID: String
    /// The SSE event type as dispatched ("message" when the stream gave none).
    package var type: String
    /// The data text, byte for byte as dispatched.
    package var data: String
    /// When the message arrived, in microseconds since 1970-01-01 UTC.
    package var receivedAt: Int64
    /// The real SSE id to send as `Last-Event-ID` to resume after this message; nil for Ledger's
    /// own annotations (operator actions), which do not move the resume point.
    package var resumeID: String?

    package init(eventID: String, type: String, data: String, receivedAt: Int64, resumeID: String? = nil) {
        self.eventID = eventID
        self.type = type
        self.data = data
        self.receivedAt = receivedAt
        self.resumeID = resumeID ?? eventID
    }

    /// The type prefix of the events Ledger itself adds (`ledger.operator`, ...).
    package static let annotationTypePrefix = "ledger."

    /// An event Ledger itself adds to a run's history (an operator action, say). It is chained and
    /// shown like any event but does not come from the stream, so it leaves the resume point alone.
    package static func annotation(eventID: String, type: String, data: String, receivedAt: Int64) -> RawEvent {
        var event = RawEvent(eventID: eventID, type: type, data: data, receivedAt: receivedAt)
        event.resumeID = nil
        return event
    }
}

/// The events of one run to append together.
package struct RunBatch: Sendable, Equatable {
    package var runID: String
    package var events: [RawEvent]

    package init(runID: String, events: [RawEvent]) {
        self.runID = runID
        self.events = events
    }
}

/// What an append did with each event it was given.
package struct AppendOutcome: Sendable, Equatable {
    /// Events stored for the first time.
    package var new = 0
    /// Events whose key was already stored with the same type and data: no-ops.
    package var duplicate = 0
    /// Events whose key was already stored with different content: kept aside in `conflicts`.
    package var conflict = 0

    package init(new: Int = 0, duplicate: Int = 0, conflict: Int = 0) {
        self.new = new
        self.duplicate = duplicate
        self.conflict = conflict
    }

    package static func += (lhs: inout AppendOutcome, rhs: AppendOutcome) {
        lhs.new += rhs.new
        lhs.duplicate += rhs.duplicate
        lhs.conflict += rhs.conflict
    }
}

/// An event as the store keeps it.
package struct StoredEvent: Sendable, Equatable {
    /// 1-based position in the run's stream.
    package var position: Int
    package var eventID: String
    package var type: String
    package var data: String
    package var receivedAt: Int64
    /// The run's hash chain value after this event.
    package var hash: [UInt8]

    package init(position: Int, eventID: String, type: String, data: String, receivedAt: Int64, hash: [UInt8]) {
        self.position = position
        self.eventID = eventID
        self.type = type
        self.data = data
        self.receivedAt = receivedAt
        self.hash = hash
    }
}
