// Writing and reading the columns of an archive: LEB128 varints, zigzag varints for signed
// differences, and length-prefixed byte strings. The reader checks every length against what is
// left, so truncated or corrupt input throws instead of reading out of bounds.

/// Appends varints and byte strings.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Zigzag-encodes `value` so that small negative numbers stay short.
    mutating func signedVarint(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A varint byte count, then the bytes.
    mutating func text(_ text: [UInt8]) {
        varint(UInt64(text.count))
        bytes.append(contentsOf: text)
    }
}

/// Reads what `ByteWriter` wrote, throwing at the first byte that does not fit.
struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var isAtEnd: Bool { index == bytes.endIndex }

    /// The bytes not read yet.
    var remaining: Int { bytes.endIndex - index }

    mutating func byte() throws(CodecFailure) -> UInt8 {
        guard index < bytes.endIndex else { throw CodecFailure("a section ends early") }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func varint() throws(CodecFailure) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte()
            guard shift < 64, shift < 63 || byte <= 1 else { throw CodecFailure("a number is too large") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    mutating func signedVarint() throws(CodecFailure) -> Int64 {
        let value = try varint()
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// A varint that must be at most `limit` (nothing passes a negative limit), as an Int.
    mutating func count(limit: Int) throws(CodecFailure) -> Int {
        let value = try varint()
        guard limit >= 0, value <= UInt64(limit) else { throw CodecFailure("a count or index is out of range") }
        return Int(value)
    }

    /// The next `count` bytes.
    mutating func take(_ count: Int) throws(CodecFailure) -> ArraySlice<UInt8> {
        guard count <= bytes.endIndex - index else { throw CodecFailure("a section ends early") }
        defer { index += count }
        return bytes[index..<(index + count)]
    }

    /// A byte string written by `ByteWriter.text`.
    mutating func text() throws(CodecFailure) -> ArraySlice<UInt8> {
        try take(try count(limit: bytes.endIndex - index))
    }
}
