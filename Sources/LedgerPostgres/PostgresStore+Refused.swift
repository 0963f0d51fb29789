// Keeping refused messages (see RefusedMessage) on PostgreSQL, as LedgerStore does in SQLite.

import Ledger
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Keeps `messages` aside; one already kept with the same content is a no-op.
    package func keepRefused(_ messages: [RefusedMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await transaction("keeping refused messages") { connection in
            for message in messages {
                try await connection.query(
                    """
                    INSERT INTO refused_messages (run_id, event_id, type, data, received_at, reason, data_hash)
                    VALUES (\(message.runID), \(message.eventID), \(ByteBuffer(string: message.type)),
                        \(ByteBuffer(bytes: message.data)), \(message.receivedAt), \(message.reason),
                        \(ByteBuffer(bytes: message.contentDigest)))
                    ON CONFLICT (run_id, event_id, data_hash) DO NOTHING
                    """, logger: Self.logger)
            }
        }
    }

    /// The refused messages kept aside, oldest first.
    package func refusedMessages() async throws -> [RefusedMessage] {
        try await read("reading refused messages") { connection in
            var messages: [RefusedMessage] = []
            for try await (runID, eventID, type, data, receivedAt, reason) in try await connection.query(
                "SELECT run_id, event_id, type, data, received_at, reason FROM refused_messages ORDER BY id",
                logger: Self.logger
            ).decode((String, String, ByteBuffer, ByteBuffer, Int64, String).self) {
                messages.append(
                    RefusedMessage(
                        runID: runID, eventID: eventID, type: String(buffer: type), data: Array(data.readableBytesView),
                        receivedAt: receivedAt, reason: reason))
            }
            return messages
        }
    }
}
