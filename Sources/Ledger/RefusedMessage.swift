// A message a stream sent that is not stored as an event because one of its fields was not valid
// UTF-8: storing it would alter its bytes (text holds U+FFFD in their place) and chain the altered
// text. It is kept aside instead, its data exactly as received, and `verify` reports it.

import Crypto

/// A refused message of a run, with its data as received.
package struct RefusedMessage: Sendable, Equatable {
    package var runID: String
    /// The key it would have had as an event.
    package var eventID: String
    /// Its SSE type (U+FFFD where its bytes were not UTF-8).
    package var type: String
    /// Its data bytes exactly as received.
    package var data: [UInt8]
    package var receivedAt: Int64
    /// Why it was refused, e.g. "data is not valid UTF-8".
    package var reason: String

    package init(runID: String, eventID: String, type: String, data: [UInt8], receivedAt: Int64, reason: String) {
        self.runID = runID
        self.eventID = eventID
        self.type = type
        self.data = data
        self.receivedAt = receivedAt
        self.reason = reason
    }

    /// Identifies the content (type and data bytes), so a redelivery is kept once.
    package var contentDigest: [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(type.utf8))
        hasher.update(data: [0])
        hasher.update(data: data)
        return Array(hasher.finalize())
    }
}

extension IntegrityProblem {
    /// A message kept aside because it was not valid UTF-8.
    package static func refused(_ message: RefusedMessage) -> IntegrityProblem {
        IntegrityProblem(
            runID: message.runID, eventID: message.eventID, position: nil, kind: .refusedMessage,
            detail: "\(message.reason): refused and kept aside with its \(message.data.count) bytes as received "
                + "(received \(UTCTime.format(message.receivedAt)))")
    }
}
