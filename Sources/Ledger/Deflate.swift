// The system zlib, wrapped: one-shot compression of a buffer (zlib container with a preset
// dictionary for archives, gzip for comparisons) and bounded decompression that turns every
// zlib failure into a thrown reason instead of a crash, whatever bytes it is given.

import CZlib

/// Whole-buffer deflate and inflate through the system zlib.
package enum Deflate {
    /// How the deflate stream is wrapped.
    package enum Container: Sendable {
        /// A zlib header (naming the preset dictionary's Adler-32) and an Adler-32 trailer.
        case zlib
        /// A gzip header (no name, no time) and a CRC-32 trailer, as `gzip -9 -n` writes.
        case gzip

        var windowBits: Int32 { self == .zlib ? 15 : 31 }
    }

    /// Why zlib refused a buffer.
    package struct Failure: Error {
        package var reason: String
    }

    /// `bytes` compressed at `level` (0–9), primed with `dictionary` (the zlib container only).
    package static func compress(
        _ bytes: [UInt8], level: Int32 = 9, dictionary: [UInt8] = [], container: Container = .zlib
    ) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        var code = deflateInit2_(
            &stream, level, Z_DEFLATED, container.windowBits, 9, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else { throw failure("deflateInit2", code, stream) }
        defer { deflateEnd(&stream) }
        if !dictionary.isEmpty {
            code = dictionary.withUnsafeBufferPointer {
                deflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
            }
            guard code == Z_OK else { throw failure("deflateSetDictionary", code, stream) }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))))
        var input = bytes
        code = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = UInt32(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = UInt32(outputBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard code == Z_STREAM_END else { throw failure("deflate", code, stream) }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// The bytes `compressed` inflates to, using `dictionary` when the stream asks for one.
    /// Refuses output beyond `limit` bytes, trailing garbage and a wrong dictionary.
    package static func decompress(
        _ compressed: [UInt8], dictionary: [UInt8] = [], limit: Int, container: Container = .zlib
    ) throws(Failure) -> [UInt8] {
        try inflateStream(compressed, dictionary: dictionary, limit: limit, prefix: false, container: container)
    }

    /// The first `length` bytes `compressed` inflates to (fewer when it holds fewer), inflating no
    /// further than that: reading an archive's keys leaves the rest of its stream compressed.
    package static func decompressPrefix(_ compressed: [UInt8], dictionary: [UInt8] = [], length: Int) throws(Failure)
        -> [UInt8]
    {
        try inflateStream(compressed, dictionary: dictionary, limit: length, prefix: true, container: .zlib)
    }

    /// Inflates `compressed` up to `limit` bytes: with `prefix`, stops there; else refuses more.
    private static func inflateStream(
        _ compressed: [UInt8], dictionary: [UInt8], limit: Int, prefix: Bool, container: Container
    ) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        var code = inflateInit2_(&stream, container.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else { throw failure("inflateInit2", code, stream) }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: min(limit, max(4096, compressed.count * 8)))
        var input = compressed
        // Offsets are kept here, not read from total_in/total_out: zlib does not update those
        // when it returns Z_NEED_DICT.
        var consumed = 0
        var produced = 0
        while true {
            code = input.withUnsafeMutableBufferPointer { inputBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    stream.next_in = inputBuffer.baseAddress.map { $0 + consumed }
                    stream.avail_in = UInt32(inputBuffer.count - consumed)
                    stream.next_out = outputBuffer.baseAddress.map { $0 + produced }
                    stream.avail_out = UInt32(outputBuffer.count - produced)
                    return inflate(&stream, Z_NO_FLUSH)
                }
            }
            consumed = input.count - Int(stream.avail_in)
            produced = output.count - Int(stream.avail_out)
            switch code {
            case Z_STREAM_END:
                guard consumed == input.count else {
                    throw Failure(reason: "\(input.count - consumed) bytes after the end of the deflate stream")
                }
                output.removeSubrange(produced...)
                return output
            case Z_NEED_DICT:
                guard !dictionary.isEmpty else { throw Failure(reason: "the stream needs a preset dictionary") }
                code = dictionary.withUnsafeBufferPointer {
                    inflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
                }
                guard code == Z_OK else { throw Failure(reason: "the stream was compressed with another dictionary") }
            case Z_OK, Z_BUF_ERROR:
                if stream.avail_out == 0 {
                    guard output.count < limit else {
                        if prefix { return output }
                        throw Failure(reason: "inflates to more than \(limit) bytes")
                    }
                    output.append(contentsOf: repeatElement(0, count: min(limit, output.count * 2) - output.count))
                } else if consumed == input.count {
                    throw Failure(reason: "the deflate stream is truncated")
                } else if code == Z_BUF_ERROR {
                    throw failure("inflate", code, stream)
                }
            default:
                throw failure("inflate", code, stream)
            }
        }
    }

    private static func failure(_ operation: String, _ code: Int32, _ stream: z_stream) -> Failure {
        let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(code)"
        return Failure(reason: "\(operation): \(message)")
    }
}
