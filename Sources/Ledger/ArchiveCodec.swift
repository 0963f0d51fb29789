// Archive format 1: a run's events turned into columns (types, ids, arrival times, data templates,
// timestamps, numbers) and deflated as one zlib stream primed with the store's preset dictionary.
// The canonical stream is the plain form whose SHA-256 an archive keeps; decoding is checked
// against it, and every malformed input is a thrown `CodecFailure`, never a crash.

import Crypto

/// Why archive bytes could not be turned back into events; callers name the run.
package struct CodecFailure: Error, Equatable {
    package var reason: String

    init(_ reason: String) { self.reason = reason }
}

/// A run's events packed for an `archives` row.
package struct EncodedArchive: Sendable {
    package var blob: [UInt8]
    /// The size of the canonical stream the blob holds.
    package var rawBytes: Int
    package var streamSHA256: [UInt8]
}

/// Packs and unpacks archive blobs.
///
/// Format 1 is a zlib stream (primed with the archive's preset dictionary) of: a varint event
/// count, a byte saying how arrival times are stored, the byte sizes of eight sections as varints,
/// then the sections: the events' data templates concatenated (see `EventTemplate`); the distinct
/// SSE types (a varint count, then each as varint size and bytes); each event's type index; each
/// event's id, as 0 when it is the predicted successor of the previous one, else 1, a varint size
/// and the bytes; each arrival time as a zigzag varint difference; each template's size; the
/// timestamps taken out of the templates as zigzag millisecond differences; and their numbers.
package enum ArchiveCodec {
    /// The format `encode` writes, recorded in `archives.format`.
    package static let format = 1

    /// The uncompressed form of a run's events, the bytes an archive's SHA-256 covers and the
    /// benchmark's "per-run stream": per event, in stream order,
    /// `<n>:<event id> <n>:<type> <received_at> <n>:<data>` and a line feed (n counts UTF-8 bytes).
    package static func canonicalStream(_ events: [RawEvent]) -> [UInt8] {
        var stream: [UInt8] = []
        stream.reserveCapacity(events.reduce(0) { $0 + $1.data.utf8.count + $1.eventID.utf8.count + 40 })
        func field(_ text: String) {
            stream.append(contentsOf: String(text.utf8.count).utf8)
            stream.append(UInt8(ascii: ":"))
            stream.append(contentsOf: text.utf8)
        }
        for event in events {
            field(event.eventID)
            stream.append(UInt8(ascii: " "))
            field(event.type)
            stream.append(UInt8(ascii: " "))
            stream.append(contentsOf: String(event.receivedAt).utf8)
            stream.append(UInt8(ascii: " "))
            field(event.data)
            stream.append(UInt8(ascii: "\n"))
        }
        return stream
    }

    /// The SHA-256 of `canonicalStream(events)`.
    static func streamDigest(_ events: [RawEvent]) -> [UInt8] {
        Array(SHA256.hash(data: canonicalStream(events)))
    }

    /// Packs `events` (one run's, in stream order) with `dictionary` at zlib `level`.
    package static func encode(_ events: [RawEvent], dictionary: [UInt8], level: Int32 = 9) throws(CodecFailure)
        -> EncodedArchive
    {
        var split = EventTemplate()
        var lengths = ByteWriter()
        var firstTimes: [Int64?] = []
        var typeTable: [String] = []
        var typeIndexes = ByteWriter()
        var ids = ByteWriter()
        var previousID = Array("0".utf8)
        for event in events {
            let start = (split.templates.count, split.times.count)
            var data = event.data
            data.withUTF8 { split.split($0) }
            lengths.varint(UInt64(split.templates.count - start.0))
            firstTimes.append(split.times.count > start.1 ? split.times[start.1] : nil)
            let typeIndex = typeTable.firstIndex(of: event.type) ?? typeTable.count
            if typeIndex == typeTable.count { typeTable.append(event.type) }
            typeIndexes.varint(UInt64(typeIndex))
            let id = Array(event.eventID.utf8)
            if predictedID(after: previousID) == id {
                ids.byte(0)
            } else {
                ids.byte(1)
                ids.text(id)
            }
            previousID = id
        }
        var types = ByteWriter()
        types.varint(UInt64(typeTable.count))
        for type in typeTable { types.text(Array(type.utf8)) }
        var timeColumn = ByteWriter()
        var lastTime: Int64 = 0
        for time in split.times {
            timeColumn.signedVarint(time - lastTime)
            lastTime = time
        }
        var numberColumn = ByteWriter()
        for number in split.numbers { numberColumn.varint(number) }
        let sincePrevious = receivedColumn(events, firstTimes: firstTimes, mode: .sincePrevious)
        let sinceOwn = receivedColumn(events, firstTimes: firstTimes, mode: .sinceOwnTimestamp)
        let (mode, received) =
            sinceOwn.count < sincePrevious.count
            ? (ReceivedMode.sinceOwnTimestamp, sinceOwn) : (ReceivedMode.sincePrevious, sincePrevious)

        var payload = ByteWriter()
        payload.varint(UInt64(events.count))
        payload.byte(mode.rawValue)
        let sections = [
            split.templates, types.bytes, typeIndexes.bytes, ids.bytes, received, lengths.bytes, timeColumn.bytes,
            numberColumn.bytes,
        ]
        for section in sections { payload.varint(UInt64(section.count)) }
        for section in sections { payload.bytes.append(contentsOf: section) }
        let canonical = canonicalStream(events)
        do {
            let blob = try Deflate.compress(payload.bytes, level: level, dictionary: dictionary)
            return EncodedArchive(
                blob: blob, rawBytes: canonical.count, streamSHA256: Array(SHA256.hash(data: canonical)))
        } catch {
            throw CodecFailure(error.reason)
        }
    }

    /// The events a blob of `format` holds. `rawBytes` (the canonical stream's size) bounds what
    /// the blob may inflate to.
    package static func decode(_ blob: [UInt8], format: Int, dictionary: [UInt8], rawBytes: Int) throws(CodecFailure)
        -> [RawEvent]
    {
        guard format == Self.format else {
            throw CodecFailure("archive format \(format) is unknown to this build (it reads format \(Self.format))")
        }
        let payload: [UInt8]
        do {
            payload = try Deflate.decompress(blob, dictionary: dictionary, limit: max(0, rawBytes) * 2 + 4096)
        } catch {
            throw CodecFailure(error.reason)
        }
        var header = ByteReader(payload[...])
        let count = try header.count(limit: payload.count)
        guard let mode = ReceivedMode(rawValue: try header.byte()) else {
            throw CodecFailure("unknown arrival-time encoding")
        }
        var sizes: [Int] = []
        for _ in 0..<8 { sizes.append(try header.count(limit: payload.count)) }
        var sections: [ByteReader] = []
        for size in sizes { sections.append(ByteReader(try header.take(size))) }
        guard header.isAtEnd else { throw CodecFailure("bytes after the last section") }
        var templates = sections[0]
        var types = sections[1]
        var typeIndexes = sections[2]
        var ids = sections[3]
        var received = sections[4]
        var lengths = sections[5]
        var values = TemplateValues(times: sections[6], numbers: sections[7])

        var typeTable: [String] = []
        for _ in 0..<(try types.count(limit: count + 1)) {
            typeTable.append(String(decoding: try types.text(), as: UTF8.self))
        }
        var events: [RawEvent] = []
        events.reserveCapacity(count)
        var previousID = Array("0".utf8)
        var previousReceived: Int64 = 0
        var data: [UInt8] = []
        for _ in 0..<count {
            let typeIndex = try typeIndexes.count(limit: typeTable.count - 1)
            let id: [UInt8]
            switch try ids.byte() {
            case 0:
                guard let predicted = predictedID(after: previousID) else {
                    throw CodecFailure("an event id follows one that does not end in a number")
                }
                id = predicted
            case 1: id = Array(try ids.text())
            default: throw CodecFailure("unknown event id code")
            }
            previousID = id
            data.removeAll(keepingCapacity: true)
            let template = try templates.take(try lengths.count(limit: payload.count))
            let firstTime = try EventTemplate.join(template, values: &values, into: &data)
            let base = mode == .sinceOwnTimestamp ? firstTime.map { $0 * 1_000 } ?? previousReceived : previousReceived
            // Wrapping, as `receivedColumn` subtracted: every Int64 arrival time comes back.
            let receivedAt = base &+ (try received.signedVarint())
            previousReceived = receivedAt
            events.append(
                RawEvent(
                    eventID: String(decoding: id, as: UTF8.self), type: typeTable[typeIndex],
                    data: String(decoding: data, as: UTF8.self), receivedAt: receivedAt))
        }
        for (name, section) in [
            ("templates", templates), ("types", typeIndexes), ("ids", ids), ("arrival times", received),
            ("lengths", lengths), ("timestamps", values.times), ("numbers", values.numbers),
        ] where !section.isAtEnd {
            throw CodecFailure("the \(name) section has bytes no event uses")
        }
        return events
    }

    /// How arrival times are stored: as the difference from the previous event's, or from the
    /// event's own first timestamp (events without one fall back to the previous arrival).
    private enum ReceivedMode: UInt8 {
        case sincePrevious = 0
        case sinceOwnTimestamp = 1
    }

    private static func receivedColumn(_ events: [RawEvent], firstTimes: [Int64?], mode: ReceivedMode) -> [UInt8] {
        var column = ByteWriter()
        var previous: Int64 = 0
        for (event, firstTime) in zip(events, firstTimes) {
            let base = mode == .sinceOwnTimestamp ? firstTime.map { $0 * 1_000 } ?? previous : previous
            column.signedVarint(event.receivedAt &- base)
            previous = event.receivedAt
        }
        return column.bytes
    }

    /// The id that follows `previous` when ids count up: its trailing decimal digits counted up by
    /// one, carrying as a counter does ("9" → "10", "e-0099" → "e-0100"); nil without trailing digits.
    private static func predictedID(after previous: [UInt8]) -> [UInt8]? {
        var next = previous
        var index = next.count
        while index > 0, next[index - 1] == UInt8(ascii: "9") {
            index -= 1
            next[index] = UInt8(ascii: "0")
        }
        if index > 0, next[index - 1] &- UInt8(ascii: "0") < 10 {
            next[index - 1] += 1
            return next
        }
        guard index < next.count else { return nil }
        next.insert(UInt8(ascii: "1"), at: index)
        return next
    }
}
