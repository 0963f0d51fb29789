// Text from streams and servers made safe for a terminal: control characters (C0, DEL, C1) and
// the bidirectional overrides are shown as `\u001b`-style escapes, so a message cannot set the
// terminal's title, clear the screen or reorder what is printed. Only table output and stderr use it.

extension String {
    /// The text with every control character and bidi override spelled `\uXXXX`; `keeping`
    /// names the controls left as they are (a newline in a multi-line error message).
    func terminalSafe(keeping kept: Set<Unicode.Scalar> = []) -> String {
        guard unicodeScalars.contains(where: { $0.isTerminalControl && !kept.contains($0) }) else { return self }
        var safe = ""
        safe.unicodeScalars.reserveCapacity(unicodeScalars.count)
        for scalar in unicodeScalars {
            if scalar.isTerminalControl, !kept.contains(scalar) {
                let hex = String(scalar.value, radix: 16)
                safe += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            } else {
                safe.unicodeScalars.append(scalar)
            }
        }
        return safe
    }
}

extension Unicode.Scalar {
    /// C0 controls, DEL, C1 controls, and the bidi embeddings, overrides and isolates
    /// (U+202A–U+202E, U+2066–U+2069).
    fileprivate var isTerminalControl: Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
