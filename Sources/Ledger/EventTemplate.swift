// The lossless split of an event's data into a template and the values taken out of it, which
// is what makes archives small: Coasty events of one kind differ mostly in their timestamps and
// numbers, so their templates repeat and deflate matches them whole, while the values go into
// columns of their own. `join` gives back the exact bytes `split` was given.

/// The templates, timestamps and numbers of events split one after another.
///
/// In a template, byte 0x01 stands for a timestamp `YYYY-MM-DDTHH:MM:SS.mmmZ` (one that
/// `UTCTime.format` writes back identically), 0x02 for a decimal number without leading zeros
/// of at most 18 digits, and 0x03 escapes a literal 0x01, 0x02 or 0x03 of the data.
struct EventTemplate {
    static let timeMarker: UInt8 = 0x01
    static let numberMarker: UInt8 = 0x02
    static let escape: UInt8 = 0x03

    /// The templates, concatenated.
    var templates: [UInt8] = []
    /// The timestamps taken out, in UTC milliseconds.
    var times: [Int64] = []
    var numbers: [UInt64] = []
    private var scratch: [UInt8] = []

    /// Appends the template of `data` to `templates` and its values to `times` and `numbers`.
    mutating func split(_ data: UnsafeBufferPointer<UInt8>) {
        var i = 0
        while i < data.count {
            let byte = data[i]
            if Self.isDigit(byte) {
                if let millis = timestamp(in: data, at: i) {
                    templates.append(Self.timeMarker)
                    times.append(millis)
                    i += 24
                    continue
                }
                var end = i + 1
                while end < data.count, Self.isDigit(data[end]) { end += 1 }
                if end - i <= 18, byte != UInt8(ascii: "0") || end - i == 1 {
                    var value: UInt64 = 0
                    for k in i..<end { value = value * 10 + UInt64(data[k] - UInt8(ascii: "0")) }
                    templates.append(Self.numberMarker)
                    numbers.append(value)
                } else {
                    templates.append(contentsOf: UnsafeBufferPointer(rebasing: data[i..<end]))
                }
                i = end
            } else if Self.isMarker(byte) {
                templates.append(Self.escape)
                templates.append(byte)
                i += 1
            } else {
                var end = i + 1
                while end < data.count, !Self.isDigit(data[end]), !Self.isMarker(data[end]) { end += 1 }
                templates.append(contentsOf: UnsafeBufferPointer(rebasing: data[i..<end]))
                i = end
            }
        }
    }

    /// Appends to `data` the bytes `template` stands for, taking its timestamps and numbers from
    /// `values`; returns the first timestamp it used. Throws when `values` runs out.
    static func join(_ template: ArraySlice<UInt8>, values: inout TemplateValues, into data: inout [UInt8])
        throws(CodecFailure) -> Int64?
    {
        var firstTime: Int64?
        var i = template.startIndex
        while i < template.endIndex {
            var end = i
            while end < template.endIndex, !isMarker(template[end]) { end += 1 }
            if end > i {
                data.append(contentsOf: template[i..<end])
                i = end
                continue
            }
            let byte = template[i]
            i += 1
            switch byte {
            case timeMarker:
                let time = try values.nextTime()
                firstTime = firstTime ?? time
                UTCTime.append(time * 1_000, to: &data)
            case numberMarker:
                appendDecimal(try values.nextNumber(), to: &data)
            default:
                guard i < template.endIndex else { throw CodecFailure("a template ends inside an escape") }
                data.append(template[i])
                i += 1
            }
        }
        return firstTime
    }

    /// The milliseconds of a timestamp that starts at `start` and round-trips through `UTCTime`.
    private mutating func timestamp(in data: UnsafeBufferPointer<UInt8>, at start: Int) -> Int64? {
        guard start + 24 <= data.count, data[start + 4] == UInt8(ascii: "-"), data[start + 10] == UInt8(ascii: "T"),
            data[start + 23] == UInt8(ascii: "Z"),
            let micros = UTCTime.parse(bytes: UnsafeBufferPointer(rebasing: data[start..<(start + 24)]))
        else { return nil }
        scratch.removeAll(keepingCapacity: true)
        UTCTime.append(micros, to: &scratch)
        guard scratch.elementsEqual(data[start..<(start + 24)]) else { return nil }
        return micros / 1_000
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    private static func isMarker(_ byte: UInt8) -> Bool { byte &- timeMarker < 3 }

    private static func appendDecimal(_ value: UInt64, to data: inout [UInt8]) {
        var divisor: UInt64 = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            data.append(UInt8(truncatingIfNeeded: rest / divisor) + UInt8(ascii: "0"))
            rest %= divisor
            divisor /= 10
        }
    }
}

/// The timestamps and numbers an archive's templates draw from, in order.
struct TemplateValues {
    var times: ByteReader
    var numbers: ByteReader
    private var lastTime: Int64 = 0

    init(times: ByteReader, numbers: ByteReader) {
        self.times = times
        self.numbers = numbers
    }

    /// The next timestamp, in UTC milliseconds (stored as the difference from the previous one).
    mutating func nextTime() throws(CodecFailure) -> Int64 {
        let (time, overflow) = lastTime.addingReportingOverflow(try times.signedVarint())
        guard !overflow, abs(time) < 1 << 50 else { throw CodecFailure("a timestamp is out of range") }
        lastTime = time
        return time
    }

    mutating func nextNumber() throws(CodecFailure) -> UInt64 {
        let value = try numbers.varint()
        guard value < 1_000_000_000_000_000_000 else { throw CodecFailure("a number has more than 18 digits") }
        return value
    }
}
