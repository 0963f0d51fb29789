// The key of each message within its run (design.md, guarantee 2): its own id when it has one,
// else `<last id>#<n>`, n counting the id-less messages since the last message with its own id.
// Replays and reconnects key every message the same, so they are recognised as duplicates.

/// Assigns event keys to dispatched messages in stream order.
package struct EventKeyer: Sendable {
    /// Id-less messages since the last message with its own id. An empty `id:` or an ignored
    /// NUL id does not reset it: only a message with its own id does.
    private var idlessCount = 0

    /// A keyer for one connection, starting at n = 0. Pair it with the connection's parser: a
    /// resume with `Last-Event-ID: X` replays everything after the message with its own id X, so
    /// counting from 0 again gives the replayed id-less messages `X#1`, `X#2`, ... as before.
    package init() {}

    /// The key of `message`, the next dispatched message of the stream.
    package mutating func key(for message: SSEMessage) -> String {
        if message.hasOwnID {
            idlessCount = 0
            return message.lastEventID
        }
        idlessCount += 1
        return "\(message.lastEventID)#\(idlessCount)"
    }
}
