// The misbehaviours CoastySim can inject into event streams, so Ledger's ingest is tested against
// what real networks and servers do: dropped connections (also mid-message), re-sent events,
// tricky SSE framing, slow writes and throttling. Every fault is off by default.

import Foundation
import Ledger

/// The faults a simulator injects.
package struct SimFaults: Sendable, Equatable {
    /// Close the connection before every K-th entry of each run's log. Each cut point fires once,
    /// so a client that resumes always gets past it, even where id-less entries make it replay
    /// more than K entries after its `Last-Event-ID`. Some drops first write part of the entry,
    /// so the client sees a message cut in the middle.
    package var dropEvery: Int?
    /// On a request with `Last-Event-ID: X`, send the entry X itself again before those after it.
    package var resendOnResume: Bool
    /// Frame entries with CR or CRLF line ends, comments, multi-line data, `retry:` lines, unknown
    /// fields, a leading BOM, opaque ids and id-less or type-less entries (chosen per entry, deterministically).
    package var trickyFraming: Bool
    /// Wait this long before each event written.
    package var writeDelay: Duration
    /// Answer every Nth events request (N ≥ 2) with 429 or 503 (alternating) and `Retry-After: 1`.
    package var throttleEvery: Int?
    /// End each run's first response cleanly right after the run's first entry that carries its
    /// terminal state, as a proxy or a deploy may: the rest of the run (its result or final state)
    /// is only had by resuming.
    package var endEarly: Bool
    /// End each run's first response after this many bytes of its body.
    package var cut: StreamCut?

    /// The given faults; every one is off by default.
    package init(
        dropEvery: Int? = nil,
        resendOnResume: Bool = false,
        trickyFraming: Bool = false,
        writeDelay: Duration = .zero,
        throttleEvery: Int? = nil,
        endEarly: Bool = false,
        cut: StreamCut? = nil
    ) {
        self.dropEvery = dropEvery
        self.resendOnResume = resendOnResume
        self.trickyFraming = trickyFraming
        self.writeDelay = writeDelay
        self.throttleEvery = throttleEvery
        self.endEarly = endEarly
        self.cut = cut
    }

    /// Parses a comma-separated fault list: `drop=7,resend,framing,slow=20ms,throttle=50,end-early,cut=120:reset`
    /// (`slow` alone means 20ms; `cut=N` ends cleanly, `cut=N:reset` abruptly). An empty list means
    /// no faults; the error names a bad item.
    package init(parsing list: String) throws(SimError) {
        self.init()
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = parts.first ?? ""
            let value = parts.count > 1 ? parts[1] : nil
            func count(atLeast minimum: Int) throws(SimError) -> Int {
                guard let value, let number = Int(value), number >= minimum else {
                    throw .invalidConfiguration(
                        "fault '\(name)' needs a whole number of at least \(minimum), as in \(name)=\(minimum + 5)")
                }
                return number
            }
            switch name {
            case "drop": dropEvery = try count(atLeast: 1)
            case "throttle": throttleEvery = try count(atLeast: 2)
            case "resend": resendOnResume = true
            case "end-early": endEarly = true
            case "cut":
                let parts = (value ?? "").split(separator: ":", omittingEmptySubsequences: false)
                guard let offset = parts.first.flatMap({ Int($0) }), offset >= 0, parts.count <= 2,
                    parts.count == 1 || parts[1] == "reset" || parts[1] == "clean"
                else {
                    throw .invalidConfiguration("fault 'cut' needs a byte offset, as in cut=120 or cut=120:reset")
                }
                cut = StreamCut(offset: offset, abrupt: parts.count == 2 && parts[1] == "reset")
            case "framing": trickyFraming = true
            case "slow":
                guard let duration = Duration(text: value ?? "20ms") else {
                    throw .invalidConfiguration("fault 'slow' needs a duration such as slow=20ms, got '\(value ?? "")'")
                }
                writeDelay = duration
            default:
                throw .invalidConfiguration(
                    "unknown fault '\(name)'; known faults: drop=K, resend, framing, slow=DURATION, throttle=N, "
                        + "end-early, cut=BYTES[:reset]")
            }
        }
    }

    /// The status a throttled events request gets (429 or 503), or nil when the request with this
    /// 1-based number is served.
    func throttleStatus(forRequestNumber number: Int) -> Int? {
        guard let every = throttleEvery, every > 0, number % every == 0 else { return nil }
        return (number / every) % 2 == 1 ? 429 : 503
    }

    /// Whether log position `position` is a cut point (its firing once is the store's business).
    func isCutPoint(_ position: Int) -> Bool {
        guard let every = dropEvery, every > 0 else { return false }
        return position > 0 && position % every == 0
    }
}

/// Where the `cut` fault ends a run's first response.
package struct StreamCut: Sendable, Equatable {
    /// Bytes of the body written before the end (the byte order mark of tricky framing included).
    package var offset: Int
    /// True to drop the connection without ending the response; false to end it cleanly.
    package var abrupt: Bool

    package init(offset: Int, abrupt: Bool) {
        self.offset = offset
        self.abrupt = abrupt
    }
}
