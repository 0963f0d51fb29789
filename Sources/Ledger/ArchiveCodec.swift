// Archives: a run's events turned into columns (types, ids, seqs, arrival times, data templates,
// timestamps, numbers) and deflated as one zlib stream primed with the store's preset dictionary.
// The canonical stream is the plain form whose SHA-256 an archive keeps; decoding is checked
// against it, and every malformed input is a thrown `CodecFailure`, never a crash.

import Crypto

/// Why archive bytes could not be turned back into events; callers name the run.
package struct CodecFailure: Error, Equatable {
    package var reason: String

    init(_ reason: String) { self.reason = reason }
}

/// The keys of an archive's events, in stream order: what format 2 can read without its data.
package struct ArchivedKeys: Sendable, Equatable {
    package var seqs: [Int64]
    package var eventIDs: [String]
    package var types: [String]

    package init(seqs: [Int64] = [], eventIDs: [String] = [], types: [String] = []) {
        self.seqs = seqs
        self.eventIDs = eventIDs
        self.types = types
    }
}

/// An archive's events and, from format 2 on, their seqs (format 1 kept seqs in a key table).
package struct ArchiveContents: Sendable, Equatable {
    package var events: [RawEvent]
    package var seqs: [Int64]

    package init(events: [RawEvent], seqs: [Int64]) {
        self.events = events
        self.seqs = seqs
    }
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
/// Format 2 is a zlib stream (primed with the archive's preset dictionary) of: a varint event
/// count, a byte saying how arrival times are stored, the byte sizes of nine sections as varints,
/// then the sections. First the keys: the distinct SSE types (a varint count, then each as varint
/// size and bytes); each event's type index; each event's id, as 0 when it is the predicted
/// successor of the previous one, else 1, a varint size and the bytes; each seq as a zigzag varint
/// difference. Then the data: the events' data templates concatenated (see `EventTemplate`); each
/// arrival time as a zigzag varint difference; each template's size; the timestamps taken out of
/// the templates as zigzag millisecond differences; and their numbers. Keys come first so that
/// inflating a prefix of the stream reads them. Format 1 (still read, for the upgrade to format 2)
/// had no seqs and put the templates first.
package enum ArchiveCodec {
    /// The format `encode` writes, recorded in `archives.format`.
    package static let format = 2

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

    /// Packs `events` (one run's, in stream order, stored with `seqs`) with `dictionary` at zlib `level`.
    package static func encode(_ events: [RawEvent], seqs: [Int64], dictionary: [UInt8], level: Int32 = 9)
        throws(CodecFailure) -> EncodedArchive
    {
        guard seqs.count == events.count else { throw CodecFailure("\(seqs.count) seqs for \(events.count) events") }
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
        var seqColumn = ByteWriter()
        var lastSeq: Int64 = 0
        for seq in seqs {
            seqColumn.signedVarint(seq &- lastSeq)
            lastSeq = seq
        }
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

        let sections: [Section: [UInt8]] = [
            .types: types.bytes, .typeIndexes: typeIndexes.bytes, .ids: ids.bytes, .seqs: seqColumn.bytes,
            .templates: split.templates, .received: received, .lengths: lengths.bytes, .times: timeColumn.bytes,
            .numbers: numberColumn.bytes,
        ]
        let layout = Section.layout(of: format)
        var payload = ByteWriter()
        payload.varint(UInt64(events.count))
        payload.byte(mode.rawValue)
        for section in layout { payload.varint(UInt64(sections[section, default: []].count)) }
        for section in layout { payload.bytes.append(contentsOf: sections[section, default: []]) }
        let canonical = canonicalStream(events)
        do {
            let blob = try Deflate.compress(payload.bytes, level: level, dictionary: dictionary)
            return EncodedArchive(
                blob: blob, rawBytes: canonical.count, streamSHA256: Array(SHA256.hash(data: canonical)))
        } catch {
            throw CodecFailure(error.reason)
        }
    }

    /// The events a blob of `format` holds, with their seqs (none for format 1). The row's
    /// `eventCount` and `rawBytes` (the canonical stream's size) are checked against
    /// `ArchiveLimits` and the blob, and bound what it may inflate to, before anything is inflated.
    package static func decode(
        _ blob: [UInt8], format: Int, dictionary: [UInt8], eventCount: Int, rawBytes: Int
    ) throws(CodecFailure) -> ArchiveContents {
        let layout = try Section.checkedLayout(of: format)
        let limit = try ArchiveLimits.payloadLimit(eventCount: eventCount, rawBytes: rawBytes, blobBytes: blob.count)
        let header = try header(blob, dictionary: dictionary, layout: layout, limit: limit, eventCount: eventCount)
        let length = try header.payloadLength(sections: layout.count, limit: limit)
        let payload: [UInt8]
        do {
            payload = try Deflate.decompress(blob, dictionary: dictionary, limit: length)
        } catch {
            throw CodecFailure(error.reason)
        }
        var parts = try Parts(payload[...], layout: layout, count: layout.count, limit: payload.count)
        guard parts.rest.isAtEnd else { throw CodecFailure("bytes after the last section") }
        let keys = try parts.keys()
        var templates = parts.sections[.templates]!
        var received = parts.sections[.received]!
        var lengths = parts.sections[.lengths]!
        var values = TemplateValues(times: parts.sections[.times]!, numbers: parts.sections[.numbers]!)
        // Every event takes at least a byte of the lengths section: the count is backed by bytes.
        guard parts.count <= lengths.remaining else { throw CodecFailure("the lengths section ends early") }
        var events: [RawEvent] = []
        events.reserveCapacity(parts.count)
        var previousReceived: Int64 = 0
        var data: [UInt8] = []
        for index in 0..<parts.count {
            data.removeAll(keepingCapacity: true)
            let template = try templates.take(try lengths.count(limit: payload.count))
            let firstTime = try EventTemplate.join(template, values: &values, into: &data)
            let base =
                parts.mode == .sinceOwnTimestamp ? firstTime.map { $0 * 1_000 } ?? previousReceived : previousReceived
            // Wrapping, as `receivedColumn` subtracted: every Int64 arrival time comes back.
            let receivedAt = base &+ (try received.signedVarint())
            previousReceived = receivedAt
            events.append(
                RawEvent(
                    eventID: keys.eventIDs[index], type: keys.types[index], data: String(decoding: data, as: UTF8.self),
                    receivedAt: receivedAt))
        }
        for (name, section) in [
            ("templates", templates), ("arrival times", received), ("lengths", lengths),
            ("timestamps", values.times), ("numbers", values.numbers),
        ] where !section.isAtEnd {
            throw CodecFailure("the \(name) section has bytes no event uses")
        }
        return ArchiveContents(events: events, seqs: keys.seqs)
    }

    /// The seqs, ids and SSE types of the events a format-2 blob holds, inflating only the key
    /// sections at the start of its stream, not the event data after them. The row's claims are
    /// checked as `decode` checks them.
    package static func keys(
        _ blob: [UInt8], format: Int, dictionary: [UInt8], eventCount: Int, rawBytes: Int
    ) throws(CodecFailure) -> ArchivedKeys {
        let layout = try Section.checkedLayout(of: format)
        guard let keyCount = layout.firstIndex(of: .templates), layout[..<keyCount].contains(.seqs) else {
            throw CodecFailure("archive format \(format) keeps no keys of its own")
        }
        let limit = try ArchiveLimits.payloadLimit(eventCount: eventCount, rawBytes: rawBytes, blobBytes: blob.count)
        let header = try header(blob, dictionary: dictionary, layout: layout, limit: limit, eventCount: eventCount)
        let length = try header.payloadLength(sections: keyCount, limit: limit)
        var parts = try Parts(
            inflatePrefix(blob, dictionary: dictionary, length: length)[...], layout: layout, count: keyCount,
            limit: limit)
        return try parts.keys()
    }

    /// The header at the start of `blob`'s payload, inflating no more than a header can take,
    /// checked to state the row's `eventCount` and sizes within `limit`.
    private static func header(
        _ blob: [UInt8], dictionary: [UInt8], layout: [Section], limit: Int, eventCount: Int
    ) throws(CodecFailure) -> Header {
        // At most a varint count, the mode byte and a varint size per section.
        let start = try inflatePrefix(blob, dictionary: dictionary, length: 11 + 10 * layout.count)
        let header = try Header(start[...], sections: layout.count, limit: limit)
        guard header.count == eventCount else {
            throw CodecFailure("it holds \(header.count) events where its row records \(eventCount)")
        }
        return header
    }

    private static func inflatePrefix(_ blob: [UInt8], dictionary: [UInt8], length: Int) throws(CodecFailure)
        -> [UInt8]
    {
        do {
            return try Deflate.decompressPrefix(blob, dictionary: dictionary, length: length)
        } catch {
            throw CodecFailure(error.reason)
        }
    }

    /// The sections of a payload, in the order a format writes them. Format 2 puts the keys
    /// (types, ids, seqs) first so that they can be read without inflating the data.
    private enum Section: CaseIterable {
        case types, typeIndexes, ids, seqs, templates, received, lengths, times, numbers

        static func layout(of format: Int) -> [Section] {
            format == 1
                ? [.templates, .types, .typeIndexes, .ids, .received, .lengths, .times, .numbers]
                : [.types, .typeIndexes, .ids, .seqs, .templates, .received, .lengths, .times, .numbers]
        }

        static func checkedLayout(of format: Int) throws(CodecFailure) -> [Section] {
            guard format == 1 || format == 2 else {
                throw CodecFailure(
                    "archive format \(format) is unknown to this build (it reads formats 1 and \(ArchiveCodec.format))")
            }
            return layout(of: format)
        }
    }

    /// A payload's header: the event count, how arrival times are stored and each section's size.
    private struct Header {
        var count: Int
        var mode: ReceivedMode
        var sizes: [Int]
        /// The header's own size in bytes.
        var length: Int

        init(_ payload: ArraySlice<UInt8>, sections: Int, limit: Int) throws(CodecFailure) {
            var reader = ByteReader(payload)
            let claimed = try reader.varint()
            // Each event takes at least four bytes of the payload (see `ArchiveLimits.payloadLimit`).
            guard claimed <= UInt64(limit / 4) else {
                throw CodecFailure("its payload claims \(claimed) events, more than \(limit) bytes can hold")
            }
            count = Int(claimed)
            guard let mode = ReceivedMode(rawValue: try reader.byte()) else {
                throw CodecFailure("unknown arrival-time encoding")
            }
            self.mode = mode
            sizes = []
            for _ in 0..<sections { sizes.append(try reader.count(limit: limit)) }
            length = payload.count - reader.remaining
        }

        /// The bytes of the payload up to the end of its first `sections` sections, at most `limit`.
        func payloadLength(sections: Int, limit: Int) throws(CodecFailure) -> Int {
            var total = length
            for size in sizes.prefix(sections) {
                let (sum, overflow) = total.addingReportingOverflow(size)
                guard !overflow, sum <= limit else {
                    throw CodecFailure("its sections add up to more than the \(limit) bytes its row allows")
                }
                total = sum
            }
            return total
        }
    }

    /// A payload cut into its first `count` sections.
    private struct Parts {
        var count: Int
        var mode: ReceivedMode
        var sections: [Section: ByteReader] = [:]
        /// What follows the sections read.
        var rest: ByteReader

        /// `limit` bounds the sizes the header may state: the whole payload's, of which `payload`
        /// may be only the start.
        init(_ payload: ArraySlice<UInt8>, layout: [Section], count sectionCount: Int, limit: Int) throws(CodecFailure) {
            let head = try Header(payload, sections: layout.count, limit: limit)
            count = head.count
            mode = head.mode
            rest = ByteReader(payload.dropFirst(head.length))
            for (section, size) in zip(layout, head.sizes).prefix(sectionCount) {
                sections[section] = ByteReader(try rest.take(size))
            }
        }

        /// Decodes the key sections: every event's SSE type, id and (format 2) seq.
        mutating func keys() throws(CodecFailure) -> ArchivedKeys {
            var types = sections[.types]!
            var typeIndexes = sections[.typeIndexes]!
            var ids = sections[.ids]!
            var typeTable: [String] = []
            for _ in 0..<(try types.count(limit: count + 1)) {
                typeTable.append(String(decoding: try types.text(), as: UTF8.self))
            }
            // Every event takes at least a byte of the type indexes: the count is backed by bytes.
            guard count <= typeIndexes.remaining else { throw CodecFailure("the types section ends early") }
            var keys = ArchivedKeys()
            keys.eventIDs.reserveCapacity(count)
            keys.types.reserveCapacity(count)
            var previousID = Array("0".utf8)
            for _ in 0..<count {
                keys.types.append(typeTable[try typeIndexes.count(limit: typeTable.count - 1)])
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
                keys.eventIDs.append(String(decoding: id, as: UTF8.self))
            }
            if var seqs = sections[.seqs] {
                var seq: Int64 = 0
                for _ in 0..<count {
                    seq = seq &+ (try seqs.signedVarint())
                    keys.seqs.append(seq)
                }
                guard seqs.isAtEnd else { throw CodecFailure("the seqs section has bytes no event uses") }
            }
            for (name, section) in [("types", typeIndexes), ("ids", ids)] where !section.isAtEnd {
                throw CodecFailure("the \(name) section has bytes no event uses")
            }
            return keys
        }
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
