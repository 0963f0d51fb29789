// Run ids in URLs. An id comes from a user, a file or a server, so it is put into a request path
// as exactly one percent-encoded segment (`..`, `/`, `?` and `#` cannot leave it), and ids that
// no encoding makes safe (empty, dot segments, control characters) are refused.

/// The API paths of a run.
package enum RunPath {
    /// `/v1/runs/{id}` with the id percent-encoded as one path segment, followed by `suffix`.
    ///
    /// - Throws: `InvalidRunID` for an id that cannot name a run.
    package static func path(of runID: String, _ suffix: String = "") throws(InvalidRunID) -> String {
        if let problem = problem(with: runID) { throw InvalidRunID(runID: runID, problem: problem) }
        return "/v1/runs/" + segment(runID) + suffix
    }

    /// Why `runID` cannot be a run id, or nil when it can.
    package static func problem(with runID: String) -> String? {
        if runID.isEmpty { return "it is empty" }
        if runID == "." || runID == ".." { return "it is a dot segment" }
        if runID.utf8.count > 512 { return "it is longer than 512 bytes" }
        if runID.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "it contains a control character"
        }
        return nil
    }

    /// `text` with every byte but the unreserved characters of RFC 3986 percent-encoded.
    static func segment(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return encoded
    }
}

/// A run id that cannot be put into a request.
package struct InvalidRunID: Error, Sendable, Equatable {
    package var runID: String
    package var problem: String
}
