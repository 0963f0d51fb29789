// Writes runs' events the way Coasty sends them, for the tests of every target that needs a
// store with realistic runs: one run by hand (RunScript) or many from a seed (SplitMix).

import Ledger

/// Writes one run's events in stream order: ids 1, 2, …, each `spacing` after the previous one.
package struct RunScript {
    package private(set) var events: [RawEvent] = []
    package var time: Int64
    package var spacing: Int64

    package init(start: String = "2026-11-02T09:00:00Z", spacing: Int64 = 1_000_000) {
        time = UTCTime.parse(start) ?? 0
        self.spacing = spacing
    }

    /// `{"event":"state","state":…}` plus `extra` members (JSON text such as `"machine_id":"m-1"`).
    package mutating func state(_ state: String, _ extra: String = "") {
        add("state", #"{"event":"state","state":"\#(state)"\#(extra.isEmpty ? "" : "," + extra),"ts":"\#(ts)"}"#)
    }

    package mutating func step(_ number: Int, action: String = "click", message: String = "Clicked a button") {
        add(
            "step",
            #"{"event":"step","state":"running","step":\#(number),"message":"\#(message)","action":{"type":"\#(action)","x":1},"ts":"\#(ts)"}"#
        )
    }

    package mutating func message(_ text: String) {
        add("message", #"{"event":"message","message":"\#(text)","ts":"\#(ts)"}"#)
    }

    /// A result stating `steps` steps, with `error` as JSON text.
    package mutating func result(_ state: String, steps: Int, error: String = "null") {
        add(
            "result",
            #"{"event":"result","state":"\#(state)","result":{"success":\#(state == "succeeded"),"error":\#(error),"steps":\#(steps)},"ts":"\#(ts)"}"#
        )
    }

    /// An event with any SSE type and data, arriving at the current time.
    package mutating func add(_ type: String, _ data: String) {
        events.append(RawEvent(eventID: "\(events.count + 1)", type: type, data: data, receivedAt: time))
        time += spacing
    }

    /// Skips `seconds` of simulated time.
    package mutating func wait(_ seconds: Int64) { time += seconds * 1_000_000 }

    private var ts: String { UTCTime.format(time) }

    /// A whole run: queued on `machine`, running, `steps` steps, then `ending` with a result.
    package static func run(
        machine: String = "m-1", task: String = "refund", steps: Int, ending: String = "succeeded",
        reportedSteps: Int? = nil, error: String = "null", start: String = "2026-11-02T09:00:00Z"
    ) -> [RawEvent] {
        var script = RunScript(start: start)
        script.state("queued", #""machine_id":"\#(machine)","task":"\#(task)","cua_version":"v4""#)
        script.state("running")
        for number in stride(from: 1, through: steps, by: 1) { script.step(number) }
        script.state(ending)
        script.result(ending, steps: reportedSteps ?? steps, error: error)
        return script.events
    }
}

/// A seeded generator (SplitMix64), so a failing case can be replayed from its seed.
package struct SplitMix: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    package mutating func int(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}
