// Many varied runs from a seed, for tests that compare answers over a realistic store: several
// machines (and runs without one), pauses for a human, every ending, varied step actions, the
// odd event whose data is not JSON, spread over days before a fixed end.

import Ledger

/// Seeded sample runs.
package enum SampleRuns {
    package static let machines = ["m-1", "m-2", "m-3", "m-4"]
    package static let actions = ["click", "type", "scroll", "key", "screenshot"]
    package static let errors = [#"{"code":"captcha"}"#, #""element_not_found""#, #"{"code":"auth_failed"}"#, "null"]

    /// `count` runs named `run-0000`, `run-0001`, …, each starting within `days` days before `end`
    /// (UTC microseconds). The same seed gives the same runs.
    package static func generate(count: Int, seed: UInt64, end: Int64, days: Int = 60) -> [RunBatch] {
        var random = SplitMix(seed: seed)
        return (0..<count).map { index in
            RunBatch(runID: "run-" + String(1_0000 + index).dropFirst(), events: run(&random, end: end, days: days))
        }
    }

    private static func run(_ random: inout SplitMix, end: Int64, days: Int) -> [RawEvent] {
        var script = RunScript(spacing: 0)
        script.time = end - Int64(random.int(in: 60...(days * 1_440))) * 60_000_000
        func tick() { script.wait(Int64(random.int(in: 1...40))) }
        let machine = random.int(in: 0...9) == 0 ? "" : #""machine_id":"\#(machines[random.int(in: 0...3)])","#
        script.state(
            "queued", machine + #""task":"task-\#(random.int(in: 1...5))","cua_version":"v\#(random.int(in: 3...4))""#)
        tick()
        script.state("running")
        let steps = random.int(in: 0...12)
        for number in stride(from: 1, through: steps, by: 1) {
            tick()
            if random.int(in: 0...15) == 0 {
                script.state("awaiting_human")
                script.wait(Int64(random.int(in: 30...900)))
                script.state("running")
            }
            if random.int(in: 0...20) == 0 { script.add("message", "not json {") }
            script.step(number, action: actions[random.int(in: 0...actions.count - 1)], message: "Did step \(number)")
        }
        tick()
        let ending = random.int(in: 0...9)
        switch ending {
        case 0...5:
            script.state("succeeded")
            script.result("succeeded", steps: random.int(in: 0...12) == 0 ? steps + 1 : steps)
        case 6, 7:
            script.state("failed")
            script.result("failed", steps: steps, error: errors[random.int(in: 0...errors.count - 1)])
        case 8:
            script.state(random.int(in: 0...1) == 0 ? "cancelled" : "timed_out")
        default:
            break
        }
        return script.events
    }
}

extension SampleRuns {
    /// Six small runs for the report tests: run-a m-2 refund 5 steps failed(captcha) and run-b m-1
    /// refund 3 steps succeeded, both from 2026-11-01T10:00; run-c m-1 invoice 2 steps cancelled
    /// (11-02); run-d m-2 invoice 1 step failed(captcha) (11-03 09:00); run-e no machine or task,
    /// 1 step, timed out (11-03 12:00); run-f m-1 invoice 4 steps still running (11-04).
    package static func reportFixture() -> [RunBatch] {
        let captcha = #"{"code":"captcha"}"#
        var timedOut = RunScript(start: "2026-11-03T12:00:00Z")
        timedOut.state("queued")
        timedOut.state("running")
        timedOut.step(1)
        timedOut.state("timed_out")
        timedOut.result("timed_out", steps: 1)
        return [
            RunBatch(runID: "run-b", events: RunScript.run(steps: 3, start: "2026-11-01T10:00:00Z")),
            RunBatch(
                runID: "run-a",
                events: RunScript.run(
                    machine: "m-2", steps: 5, ending: "failed", error: captcha, start: "2026-11-01T10:00:00Z")),
            RunBatch(
                runID: "run-c",
                events: RunScript.run(task: "invoice", steps: 2, ending: "cancelled", start: "2026-11-02T09:00:00Z")),
            RunBatch(
                runID: "run-d",
                events: RunScript.run(
                    machine: "m-2", task: "invoice", steps: 1, ending: "failed", error: captcha,
                    start: "2026-11-03T09:00:00Z")),
            RunBatch(runID: "run-e", events: timedOut.events),
            RunBatch(
                runID: "run-f",
                events: Array(RunScript.run(task: "invoice", steps: 4, start: "2026-11-04T09:00:00Z").dropLast(2))),
        ]
    }
}
