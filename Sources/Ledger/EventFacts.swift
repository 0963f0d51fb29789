// How Ledger reads an event's data: the documented Coasty fields (event, state, step, message,
// ts) when the data is a JSON object, the SSE type and arrival time otherwise. Unknown types
// and extra fields are kept in the raw data and never rejected.

/// The documented fields of one event, read from its data.
package struct EventFacts: Sendable, Equatable {
    /// The data's `event` when the data is a JSON object with one, else the SSE type.
    package var type: String
    package var state: String?
    package var step: Int64?
    package var message: String?
    /// The data's `ts`, or the arrival time where it is missing or unreadable.
    package var at: Int64
    /// The parsed data when it is JSON.
    package var json: JSONValue?

    /// Reads `data` of an event of SSE type `sseType` that arrived at `receivedAt`.
    package init(sseType: String, data: String, receivedAt: Int64) {
        let json = try? JSONValue.parse(data)
        self.json = json
        type = json?["event"]?.stringValue ?? sseType
        state = json?["state"]?.stringValue
        step = json?["step"]?.intValue
        message = json?["message"]?.stringValue
        at = json?["ts"]?.stringValue.flatMap(UTCTime.parse) ?? receivedAt
    }

    /// The terminal state `data` announces in its top-level `state` field, or nil. A single
    /// validating scan over the bytes, without building a JSON tree: ingest asks this of every event.
    package static func terminalState(inData data: String) -> String? {
        var data = data
        return data.withUTF8 { bytes in
            guard let fields = EventScanner.scan(bytes), let state = fields.state else { return nil }
            let text = EventScanner.text(state, in: bytes)
            return isTerminal(text) ? text : nil
        }
    }

    /// The states that end a run.
    package static let terminalStates = ["succeeded", "failed", "cancelled", "timed_out"]

    /// Whether `state` ends a run.
    package static func isTerminal(_ state: String) -> Bool {
        terminalStates.contains(state)
    }
}
