// The keys design.md gives the messages of a stream (an id-less message after id X is `X#n`), so
// tests can say what a store must hold for a server's log without going through ingest's keyer.

/// What Ledger must store for a stream's dispatched messages, in order.
package enum StreamKeys {
    /// (key, type, data) for each message given as (id, SSE type, data): the type "message" when absent.
    package static func expected(_ messages: [(id: String?, type: String?, data: String)])
        -> [(key: String, type: String, data: String)]
    {
        var lastID = ""
        var idless = 0
        return messages.map { message in
            let key: String
            if let id = message.id {
                lastID = id
                idless = 0
                key = id
            } else {
                idless += 1
                key = "\(lastID)#\(idless)"
            }
            return (key, message.type ?? "message", message.data)
        }
    }
}
