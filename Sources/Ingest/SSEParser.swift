// An incremental Server-Sent Events parser following the WHATWG rules, over raw bytes. Chunks
// may split anywhere: inside a UTF-8 character, between CR and LF, inside a field name or the
// BOM. Line ends are found with memchr and lines are read in place; only a line split across
// chunks is copied (into `carry`) before the message's strings are made.

import Foundation
import Ledger

/// One dispatched SSE message.
package struct SSEMessage: Sendable, Equatable {
    /// The `event` field, "message" when absent or empty.
    package var type: String
    /// The `data` lines joined with "\n", decoded as UTF-8 (invalid bytes become U+FFFD, and
    /// `invalidUTF8` says so).
    package var data: String
    /// The stream's last event id when this message was dispatched (it persists across messages).
    package var lastEventID: String
    /// True when an `id:` line with a non-empty value (and no NUL) was read since the previous
    /// dispatched message, and no empty `id:` line came after it. Implies `lastEventID` is not empty.
    package var hasOwnID: Bool
    /// The 1-based line number of the first field line of the message's block (comments before
    /// it are not counted as part of the block), for `file:line` diagnostics.
    package var line: Int
    /// Set when a field of the message was not valid UTF-8: `data` and `type` then hold U+FFFD in
    /// place of the bad bytes, so a reader must refuse the message rather than store it altered.
    package var invalidUTF8: InvalidUTF8?

    package init(
        type: String, data: String, lastEventID: String, hasOwnID: Bool, line: Int, invalidUTF8: InvalidUTF8? = nil
    ) {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
        self.hasOwnID = hasOwnID
        self.line = line
        self.invalidUTF8 = invalidUTF8
    }
}

/// What was not valid UTF-8 in a message, and its data exactly as received.
package struct InvalidUTF8: Sendable, Equatable {
    /// The first field whose value was not valid UTF-8: `data`, `event` or `id`.
    package var field: String
    /// The `data` lines' bytes joined with LF, as received.
    package var data: [UInt8]

    package init(field: String, data: [UInt8]) {
        self.field = field
        self.data = data
    }
}

/// Parses an event stream incrementally: feed it the chunks of one connection in order, then
/// call `finish()`. Create it with the `Last-Event-ID` sent when resuming.
package struct SSEParser: Sendable {
    /// The reconnection time in milliseconds from the last valid `retry:` field.
    package private(set) var reconnectionTime: Int?
    /// The last event id buffer, as WHATWG keeps it: it persists across messages and reconnects.
    package private(set) var lastEventID: String

    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    private static let colon = UInt8(ascii: ":")

    /// How many bytes of a leading BOM have been seen at the start of the stream; nil once past it.
    private var bomMatched: Int? = 0
    /// The start of a line whose end is in a later chunk.
    private var carry: [UInt8] = []
    /// The `data` values read so far, joined with LF. Each value is decoded on its own: line ends
    /// are ASCII and end any malformed UTF-8 sequence, so this equals decoding the joined bytes.
    /// A message with bytes that are not UTF-8 is marked (`invalidUTF8`), never silently repaired.
    private var data = ""
    /// Whether a `data` line was read: the WHATWG data buffer is not empty.
    private var hasData = false
    private var eventType = ""
    private var hasOwnID = false
    /// The first field of the message being read that was not valid UTF-8.
    private var invalidField: String?
    /// The data bytes as received, kept from the first data line that was not valid UTF-8 on.
    private var rawData: [UInt8]?
    /// The previous chunk ended with CR, so an LF starting this one ends no further line.
    private var skipLF = false
    /// Lines ended so far.
    private var lineNumber = 0
    /// The line of the current block's first field line; 0 while the block has none.
    private var blockLine = 0

    /// The largest message a reader should accept, in bytes: the store's own limit, which also
    /// bounds what an archive row may claim its events take (see `ArchiveLimits`).
    package static let messageLimit = ArchiveLimits.messageBytes

    /// Bytes held for the message being read: its data so far and any unfinished line. Readers
    /// stop a stream when it passes `messageLimit`.
    package var pendingBytes: Int { data.utf8.count + carry.count }

    /// The line the message being read began on, or the current line when between messages.
    package var pendingLine: Int { blockLine > 0 ? blockLine : lineNumber + 1 }

    /// A parser for a new stream, or for a reconnection that sent `Last-Event-ID: lastEventID`.
    package init(lastEventID: String = "") {
        self.lastEventID = lastEventID
    }

    /// Parses the next chunk, calling `onMessage` for each message it completes.
    package mutating func parse(
        _ bytes: UnsafeRawBufferPointer, _ onMessage: (SSEMessage) throws -> Void
    ) rethrows {
        var bytes = bytes
        if let matched = bomMatched {
            var matched = matched
            while matched < 3, let byte = bytes.first, byte == Self.bom[matched] {
                matched += 1
                bytes = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
            }
            if matched < 3, bytes.isEmpty {
                bomMatched = matched  // the chunk ended inside what may still be a BOM
                return
            }
            bomMatched = nil
            if matched < 3, matched > 0 {
                // Not a BOM after all: the bytes held back are the start of the first line.
                try Self.bom[..<matched].withUnsafeBytes { try scan($0, onMessage) }
            }
        }
        try scan(bytes, onMessage)
    }

    /// Parses the next chunk of bytes; contiguous collections are read in place.
    package mutating func parse(
        _ bytes: some Sequence<UInt8>, _ onMessage: (SSEMessage) throws -> Void
    ) rethrows {
        let done: Void? = try bytes.withContiguousStorageIfAvailable {
            try parse(UnsafeRawBufferPointer($0), onMessage)
        }
        if done == nil {
            try Array(bytes).withUnsafeBytes { try parse($0, onMessage) }
        }
    }

    /// Ends the connection's stream. Returns the line where a block began that no blank line
    /// completed (a field line was read, or a field line was cut short), or nil when the stream
    /// ended between blocks. That block is discarded, as WHATWG requires. The parser is then
    /// ready for the next connection, keeping the last event id and the reconnection time.
    package mutating func finish() -> Int? {
        let heldBOMPrefix = (bomMatched ?? 0) > 0
        let cutFieldLine = carry.first.map { $0 != Self.colon } ?? heldBOMPrefix
        let pending = blockLine > 0 ? blockLine : cutFieldLine ? lineNumber + 1 : nil
        let reconnectionTime = reconnectionTime
        self = SSEParser(lastEventID: lastEventID)
        self.reconnectionTime = reconnectionTime
        return pending
    }

    /// Splits `bytes` into lines, processing each complete one and carrying the unfinished tail.
    private mutating func scan(
        _ bytes: UnsafeRawBufferPointer, _ onMessage: (SSEMessage) throws -> Void
    ) rethrows {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let end = bytes.count
        var start = 0
        if skipLF {
            skipLF = false
            if base.load(as: UInt8.self) == 0x0A { start = 1 }
        }
        while start < end {
            // The line ends at the first CR or LF: look for LF, then for CR only before it.
            let lf = memchr(base + start, 0x0A, end - start).map { UnsafeRawPointer($0) - base } ?? end
            let lineEnd = memchr(base + start, 0x0D, lf - start).map { UnsafeRawPointer($0) - base } ?? lf
            guard lineEnd < end else {
                carry.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: end - start))
                return
            }
            lineNumber += 1
            let line = UnsafeRawBufferPointer(start: base + start, count: lineEnd - start)
            if carry.isEmpty {
                try processLine(line, onMessage)
            } else {
                carry.append(contentsOf: line)
                var whole: [UInt8] = []
                swap(&whole, &carry)
                try whole.withUnsafeBytes { try processLine($0, onMessage) }
                whole.removeAll(keepingCapacity: true)
                swap(&whole, &carry)
            }
            start = lineEnd + 1
            if lineEnd < lf {  // the line ended with CR: a following LF belongs to it
                if start == end {
                    skipLF = true
                } else if base.load(fromByteOffset: start, as: UInt8.self) == 0x0A {
                    start += 1
                }
            }
        }
    }

    /// Applies one line (without its line end) to the buffers, dispatching on a blank line.
    private mutating func processLine(
        _ line: UnsafeRawBufferPointer, _ onMessage: (SSEMessage) throws -> Void
    ) rethrows {
        guard let first = line.first else {
            try dispatch(onMessage)
            return
        }
        if first == Self.colon { return }
        if blockLine == 0 { blockLine = lineNumber }
        let field: UnsafeRawBufferPointer
        var value = UnsafeRawBufferPointer(start: nil, count: 0)
        if let colon = line.firstIndex(of: Self.colon) {
            field = UnsafeRawBufferPointer(rebasing: line[..<colon])
            value = UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])
            if value.first == UInt8(ascii: " ") { value = UnsafeRawBufferPointer(rebasing: value.dropFirst()) }
        } else {
            field = line
        }
        if Self.is(field, "data") {
            let (text, valid) = decode(value, field: "data")
            if rawData != nil || !valid {
                var bytes = rawData ?? (hasData ? Array(data.utf8) : [])
                if hasData { bytes.append(0x0A) }
                bytes.append(contentsOf: value)
                rawData = bytes
            }
            if hasData {
                data += "\n"
                data += text
            } else {
                data = text
                hasData = true
            }
        } else if Self.is(field, "event") {
            eventType = decode(value, field: "event").text
        } else if Self.is(field, "id") {
            guard !value.contains(0) else { return }
            lastEventID = decode(value, field: "id").text
            hasOwnID = !value.isEmpty
        } else if Self.is(field, "retry") {
            if let milliseconds = Self.digits(value) { reconnectionTime = milliseconds }
        }
    }

    /// The value as text. Bytes that are not valid UTF-8 become U+FFFD, and the message notes the
    /// field so that it is refused instead of stored altered.
    private mutating func decode(_ value: UnsafeRawBufferPointer, field: String) -> (text: String, valid: Bool) {
        let decoded = value.withMemoryRebound(to: UInt8.self) { bytes in
            String(validating: bytes, as: UTF8.self).map { ($0, true) } ?? (String(decoding: bytes, as: UTF8.self), false)
        }
        if !decoded.1 { invalidField = invalidField ?? field }
        return decoded
    }

    /// Dispatches the buffered message, if it has data, and resets the buffers for the next one.
    private mutating func dispatch(_ onMessage: (SSEMessage) throws -> Void) rethrows {
        let line = blockLine
        blockLine = 0
        guard hasData else {
            // No data: nothing is dispatched, the type resets, and an id read here stays the
            // next message's own id (an id-only block).
            eventType = ""
            invalidField = nil
            return
        }
        let message = SSEMessage(
            type: eventType.isEmpty ? "message" : eventType, data: data, lastEventID: lastEventID,
            hasOwnID: hasOwnID, line: line,
            invalidUTF8: invalidField.map { InvalidUTF8(field: $0, data: rawData ?? Array(data.utf8)) })
        data = ""
        hasData = false
        eventType = ""
        hasOwnID = false
        invalidField = nil
        rawData = nil
        try onMessage(message)
    }

    /// Whether the field name is exactly `name` (field names are case-sensitive).
    private static func `is`(_ field: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        guard field.count == name.utf8CodeUnitCount, let start = field.baseAddress else { return false }
        return memcmp(start, name.utf8Start, field.count) == 0
    }

    /// The value as a base-ten integer when it is one or more ASCII digits and fits in an Int.
    private static func digits(_ value: UnsafeRawBufferPointer) -> Int? {
        guard !value.isEmpty else { return nil }
        var result = 0
        for byte in value {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, shiftOverflowed) = result.multipliedReportingOverflow(by: 10)
            let (sum, sumOverflowed) = shifted.addingReportingOverflow(Int(digit))
            guard !shiftOverflowed, !sumOverflowed else { return nil }
            result = sum
        }
        return result
    }
}
