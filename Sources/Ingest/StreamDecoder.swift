// From SSE bytes to what the store keeps, in one place for ingest and import: the parser (WHATWG
// rules), the keyer (the id-less rule), the refusal of messages that are not valid UTF-8 (kept
// aside, never stored altered), and whether a message carried the run's terminal state.

import Ledger

/// Decodes one connection's (or one transcript's) bytes into events of a run.
package struct StreamDecoder: Sendable {
    /// What a chunk of bytes decoded to.
    package struct Chunk: Sendable {
        package var events: [RawEvent] = []
        package var refused: [RefusedMessage] = []
        /// The line each refused message began on.
        package var refusedLines: [Int] = []
        /// Whether one of `events` carries a terminal state.
        package var sawTerminal = false
        /// The lines of messages whose data is not JSON (kept all the same), when asked for.
        package var invalidJSONLines: [Int] = []
        /// Messages dispatched: events and refused ones.
        package var messages: Int { events.count + refused.count }
    }

    package let runID: String
    package private(set) var parser: SSEParser
    private var keyer = EventKeyer()
    private let checksJSON: Bool

    /// A decoder for `runID`'s stream, resuming after `lastEventID` (empty for a new stream);
    /// `checksJSON` notes the lines of messages whose data is not JSON.
    package init(runID: String, lastEventID: String = "", checksJSON: Bool = false) {
        self.runID = runID
        self.parser = SSEParser(lastEventID: lastEventID)
        self.checksJSON = checksJSON
    }

    /// Decodes the next chunk of bytes, received at `receivedAt`.
    package mutating func decode(_ bytes: UnsafeRawBufferPointer, receivedAt: Int64) -> Chunk {
        var chunk = Chunk()
        let runID = runID
        let checksJSON = checksJSON
        parser.parse(bytes) { message in
            let key = keyer.key(for: message)
            if let invalid = message.invalidUTF8 {
                chunk.refused.append(
                    RefusedMessage(
                        runID: runID, eventID: key, type: message.type, data: invalid.data, receivedAt: receivedAt,
                        reason: "\(invalid.field) is not valid UTF-8"))
                chunk.refusedLines.append(message.line)
                return
            }
            if !chunk.sawTerminal, EventFacts.terminalState(inData: message.data) != nil { chunk.sawTerminal = true }
            if checksJSON, !JSONValue.isValid(message.data) { chunk.invalidJSONLines.append(message.line) }
            chunk.events.append(
                RawEvent(
                    eventID: key, type: message.type, data: message.data, receivedAt: receivedAt,
                    resumeID: message.lastEventID))
        }
        return chunk
    }

    /// True when the message being read has passed `SSEParser.messageLimit` without ending.
    package var isOverMessageLimit: Bool { parser.pendingBytes > SSEParser.messageLimit }

    /// Ends the stream: the line where an unfinished message began (it is discarded), or nil.
    package mutating func finish() -> Int? { parser.finish() }
}
