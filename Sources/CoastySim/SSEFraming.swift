// How a scripted event becomes a log entry: its canonical form (id, SSE type, data text) and the
// exact bytes every response writes for it. Plain framing is `id`/`event`/`data` with LF; tricky
// framing varies line ends, comments, retry and unknown fields, multi-line data, ids and types.

/// An entry of a run's log: what a parser must dispatch, and the bytes that say it.
struct LogEntry: Sendable {
    let event: SimEvent
    /// The bytes of the message, ending with its blank line.
    let bytes: [UInt8]
    /// A byte offset inside the first `data:` line's value, where a mid-message drop cuts.
    let cutPoint: Int
    /// Whether a drop that happens just before this entry writes `bytes[..<cutPoint]` first.
    let cutsMidMessage: Bool
    /// Whether the entry carries the run's terminal state (its terminal `state` or its `result`).
    var endsRun = false
}

enum SSEFraming {
    /// The UTF-8 byte order mark tricky framing puts at the start of every response.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The log entry for the `index`-th (0-based) event appended to a run's log.
    ///
    /// Every choice is a function of the run's stream key and `index`, so the entry (and its
    /// bytes) is the same however often and over however many connections it is sent.
    static func entry(for scripted: ScriptedEvent, index: Int, streamKey: UInt64, tricky: Bool) -> LogEntry {
        var entry = framedEntry(for: scripted, index: index, streamKey: streamKey, tricky: tricky)
        entry.endsRun =
            (scripted.type == "state" || scripted.type == "result")
            && RunStore.terminalStates.contains(scripted.payload["state"]?.stringValue ?? "")
        return entry
    }

    private static func framedEntry(for scripted: ScriptedEvent, index: Int, streamKey: UInt64, tricky: Bool)
        -> LogEntry
    {
        var rng = SeededRandom(streamKey, UInt64(index))
        let cutsMidMessage = rng.chance(0.5)
        guard tricky else {
            let event = SimEvent(id: String(index + 1), type: scripted.type, data: scripted.payload.serialized())
            return encode(event, framing: .plain, cutsMidMessage: cutsMidMessage)
        }
        let keyHex = String(streamKey & 0xFF_FFFF, radix: 16)
        let indexText = String(index + 1)
        let opaqueID =
            "e-" + String(repeating: "0", count: 6 - keyHex.count) + keyHex + "-"
            + String(repeating: "0", count: max(0, 4 - indexText.count)) + indexText
        let event = SimEvent(
            id: rng.chance(0.8) ? opaqueID : nil,
            type: rng.chance(0.85) ? scripted.type : nil,
            data: scripted.payload.serialized(breakingTopLevelMembers: rng.chance(0.3)))
        let framing = Framing(
            lineEnd: rng.pick([.lf, .cr, .crlf]),
            comment: rng.chance(0.25) ? rng.pick([": keep-alive", ":", ": coasty sse v2"]) : nil,
            retry: rng.chance(0.15),
            unknownField: rng.chance(0.15) ? rng.pick(["foo: bar", "x-trace:9f2c41", "priority: high"]) : nil,
            spaceAfterColon: rng.chance(0.7))
        return encode(event, framing: framing, cutsMidMessage: cutsMidMessage)
    }

    /// The per-entry wire choices.
    private struct Framing {
        enum LineEnd: String { case lf = "\n", cr = "\r", crlf = "\r\n" }

        var lineEnd: LineEnd
        var comment: String?
        var retry: Bool
        var unknownField: String?
        var spaceAfterColon: Bool

        static let plain = Framing(lineEnd: .lf, comment: nil, retry: false, unknownField: nil, spaceAfterColon: true)
    }

    private static func encode(_ event: SimEvent, framing: Framing, cutsMidMessage: Bool) -> LogEntry {
        var bytes: [UInt8] = []
        var cutPoint = 0
        func line(_ text: String) {
            bytes.append(contentsOf: Array(text.utf8))
            bytes.append(contentsOf: Array(framing.lineEnd.rawValue.utf8))
        }
        // A value starting with a space keeps it only behind the one space a parser strips.
        func field(_ name: String, _ value: String) {
            line(name + ":" + (framing.spaceAfterColon || value.hasPrefix(" ") ? " " : "") + value)
        }
        if let comment = framing.comment { line(comment) }
        if let id = event.id { field("id", id) }
        if let type = event.type { field("event", type) }
        if framing.retry { field("retry", "200") }
        if let unknown = framing.unknownField { line(unknown) }
        for (number, dataLine) in event.data.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let start = bytes.count
            field("data", String(dataLine))
            if number == 0 {
                let valueLength = dataLine.utf8.count
                cutPoint = start + (bytes.count - start - framing.lineEnd.rawValue.utf8.count) - valueLength / 2
            }
        }
        line("")
        return LogEntry(event: event, bytes: bytes, cutPoint: max(1, cutPoint), cutsMidMessage: cutsMidMessage)
    }
}
