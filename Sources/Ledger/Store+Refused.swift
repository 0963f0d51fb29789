// Keeping refused messages (see RefusedMessage) in the SQLite file: appended once per content,
// read back for `verify` and `migrate-store`.

import Foundation
import GRDB

extension LedgerStore {
    /// Keeps `messages` aside; one already kept with the same content is a no-op.
    package func keepRefused(_ messages: [RefusedMessage]) throws {
        guard !messages.isEmpty else { return }
        try write("keeping refused messages") { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO refused_messages (run_id, event_id, type, data, received_at, reason, data_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, event_id, data_hash) DO NOTHING
                """)
            for message in messages {
                try insert.execute(arguments: [
                    message.runID, message.eventID, message.type, Data(message.data), message.receivedAt, message.reason,
                    Data(message.contentDigest),
                ])
            }
        }
    }

    /// The refused messages kept aside, oldest first.
    package func refusedMessages() throws -> [RefusedMessage] {
        try read("reading refused messages") { db in try refusedMessages(db) }
    }

    func refusedMessages(_ db: Database) throws -> [RefusedMessage] {
        try Row.fetchAll(
            db, sql: "SELECT run_id, event_id, type, data, received_at, reason FROM refused_messages ORDER BY id"
        ).map {
            RefusedMessage(
                runID: $0[0], eventID: $0[1], type: $0[2], data: [UInt8]($0[3] as Data), receivedAt: $0[4],
                reason: $0[5])
        }
    }
}
