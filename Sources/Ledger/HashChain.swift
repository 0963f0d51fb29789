// The per-run tamper-evident hash chain. Each event's hash is SHA-256 over the previous hash
// and the event's stored fields, each length-prefixed so no two different records can
// serialize alike. The chain of a run starts from a hash of the run id.

import Crypto

/// Computes the hashes that chain a run's events together.
package enum HashChain {
    /// The value the chain of `runID` starts from, before its first event.
    package static func genesis(runID: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array("ledger-chain-v1\u{0}".utf8))
        hasher.update(data: Array(runID.utf8))
        return Array(hasher.finalize())
    }

    /// The chain value after an event whose fields are given, following `previous`.
    package static func next(
        after previous: [UInt8], eventID: String, type: String, data: String, receivedAt: Int64
    ) -> [UInt8] {
        var hasher = SHA256()
        previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        update(&hasher, with: eventID)
        update(&hasher, with: type)
        update(&hasher, with: data)
        withUnsafeBytes(of: receivedAt.littleEndian) { hasher.update(bufferPointer: $0) }
        return Array(hasher.finalize())
    }

    /// A digest identifying an event's content (type and data), used to tell conflicting redeliveries apart.
    package static func contentDigest(type: String, data: String) -> [UInt8] {
        var hasher = SHA256()
        update(&hasher, with: type)
        update(&hasher, with: data)
        return Array(hasher.finalize())
    }

    private static func update(_ hasher: inout SHA256, with text: String) {
        var text = text
        text.withUTF8 { bytes in
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
        }
    }
}
