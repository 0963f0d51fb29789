// Turns (seed, creation index, request) into a run's script: the events its log will hold, with
// simulated timestamps spread over the six weeks before a seed-dependent anchor date. Pure and
// deterministic; RunStore decides when each scripted event is appended.

/// One event a run's script appends, before it gets an id and framing.
struct ScriptedEvent: Sendable {
    /// The data's `event`: state, step, message or result.
    let type: String
    /// The data object, `ts` included.
    let payload: JSONValue
    /// Simulated time, milliseconds since 1970.
    let time: Int64
    /// The `awaiting_human` state of a run that pauses there until resumed.
    let pausesForHuman: Bool

    init(type: String, payload: JSONValue, time: Int64, pausesForHuman: Bool = false) {
        self.type = type
        self.payload = payload
        self.time = time
        self.pausesForHuman = pausesForHuman
    }
}

/// Everything fixed about a run when it is created.
struct RunPlan: Sendable {
    let runID: String
    let index: Int
    let request: CreateRunRequest
    let createdAt: Int64
    let script: [ScriptedEvent]
    /// Seeds per-entry framing choices and opaque event ids.
    let streamKey: UInt64
}

/// Builds run scripts and seed-chosen run requests.
struct RunGenerator: Sendable {
    let seed: UInt64
    let stepsPerRun: ClosedRange<Int>
    /// Runs start within six weeks before this instant.
    let anchor: Int64

    private static let day: Int64 = 86_400_000

    init(seed: UInt64, stepsPerRun: ClosedRange<Int>) {
        self.seed = seed
        self.stepsPerRun = max(0, stepsPerRun.lowerBound)...max(0, stepsPerRun.upperBound)
        var rng = SeededRandom(seed, 0xA2C4)
        self.anchor =
            SimTime.millis(year: 2025, month: 1, day: 6) + Int64(rng.int(in: 0...364)) * Self.day
            + 18 * 3_600_000
    }

    /// A varied request for the `index`-th pre-created run.
    func initialRequest(index: Int) -> CreateRunRequest {
        var rng = SeededRandom(seed, 0x1A17, UInt64(index))
        let template = rng.pick(TaskTemplate.catalogue)
        let machine = rng.chance(0.06) ? "m-6" : rng.pick(Machine.fleet.dropLast().map(\.id))
        let policyRoll = rng.int(in: 0...99)
        return CreateRunRequest(
            machineID: machine,
            task: template.task,
            cuaVersion: rng.chance(0.3) ? .v3 : .v4,
            instructions: rng.chance(0.4) ? "Use the shared service account; stop before paying anything." : nil,
            maxSteps: rng.chance(0.15)
                ? rng.int(in: max(1, stepsPerRun.lowerBound)...max(1, stepsPerRun.upperBound)) : nil,
            deadlineSeconds: rng.chance(0.1) ? rng.int(in: 60...600) : nil,
            webhookURL: rng.chance(0.2) ? "https://hooks.acme.test/coasty" : nil,
            onAwaitingHuman: policyRoll < 80 ? .pause : policyRoll < 92 ? .fail : .cancel)
    }

    /// The script of the `index`-th run created with `request`.
    func plan(index: Int, request: CreateRunRequest) -> RunPlan {
        var idRandom = SeededRandom(seed, 0x1D, UInt64(index))
        let idBits = idRandom.next()
        let hex = String(idBits, radix: 16)
        let runID = "run_" + String(repeating: "0", count: 16 - hex.count) + hex
        var rng = SeededRandom(seed, UInt64(index), SeededRandom.fingerprint(request.fingerprint))
        let template = TaskTemplate.matching(request.task)
        var script = ScriptWriter(request: request, template: template)

        var time = anchor - Int64(rng.int(in: 0...(42 * 24 * 3_600))) * 1_000 - Int64(rng.int(in: 0...999))
        let createdAt = time
        let machineName = Machine.fleet.first { $0.id == request.machineID }?.name ?? request.machineID
        script.state("queued", "Run queued on \(machineName)", at: time)
        time += Int64(rng.int(in: 600...2_500))
        script.state("running", "cua-\(request.cuaVersion.rawValue) agent started on \(machineName)", at: time)
        let runningSince = time

        var planned = rng.int(in: stepsPerRun)
        let ending = Ending.draw(request: request, template: template, plannedSteps: planned, using: &rng)
        if case .failed(.some("machine_unreachable"), _) = ending { planned = min(planned, rng.int(in: 0...2)) }
        let pauseAfter = planned >= 2 && rng.chance(0.15) ? rng.int(in: 1...(planned - 1)) : nil
        let stepGap = request.cuaVersion == .v3 ? 3_000...12_000 : 2_000...9_000

        var terminal: Ending?
        for step in stride(from: 1, through: planned, by: 1) {
            if let limit = request.maxSteps, step > limit {
                terminal = .failed(
                    "max_steps_exceeded",
                    FailureVocabulary.message(
                        for: "max_steps_exceeded", template: template, machineID: request.machineID, steps: limit))
                break
            }
            time += Int64(rng.int(in: stepGap))
            if let deadline = request.deadlineSeconds, time - runningSince > Int64(deadline) * 1_000 {
                terminal = .timedOut("Run exceeded its deadline of \(deadline) s")
                break
            }
            script.step(
                ScriptedAction.draw(for: template, using: &rng), at: time, url: template.site + rng.pick(template.pages)
            )
            if rng.chance(0.1) {
                time += Int64(rng.int(in: 100...900))
                script.message(rng.pick(FailureVocabulary.chatter), at: time)
            }
            if step == pauseAfter {
                time += Int64(rng.int(in: 500...1_500))
                let reason = rng.pick(FailureVocabulary.humanReasons)
                script.state("awaiting_human", reason, at: time, pausesForHuman: request.onAwaitingHuman == .pause)
                switch request.onAwaitingHuman {
                case .pause:
                    time += Int64(rng.int(in: 30...600)) * 1_000
                    script.state("running", "Resumed by an operator", at: time)
                case .fail:
                    terminal = .failed(
                        "human_required", "\(reason), and on_awaiting_human is \"fail\"")
                case .cancel:
                    terminal = .cancelled("Cancelled: a human was needed and on_awaiting_human is \"cancel\"")
                }
                if terminal != nil { break }
            }
        }

        time += Int64(rng.int(in: 800...3_000))
        let discrepancy = rng.chance(0.04) ? rng.pick([-2, -1, 1, 2, 3]) : 0
        script.finish(terminal ?? ending, at: time, reportedSteps: max(0, script.steps + discrepancy), using: &rng)
        return RunPlan(
            runID: runID, index: index, request: request, createdAt: createdAt, script: script.events,
            streamKey: SeededRandom.mix(idBits ^ 0x5EED))
    }

    /// The two events a `POST /cancel` appends to a run whose last entry was at `time`.
    func cancellation(after time: Int64, steps: Int) -> [ScriptedEvent] {
        var script = ScriptWriter(request: nil, template: nil)
        var rng = SeededRandom(seed, 0xCA, UInt64(bitPattern: time))
        script.finish(.cancelled("Cancelled via the API"), at: time + 1_200, reportedSteps: steps, using: &rng)
        return script.events
    }
}

/// How a run ends.
enum Ending: Equatable {
    case succeeded
    /// A failure with an error code (nil: a bare string error) and message.
    case failed(String?, String)
    case timedOut(String?)
    case cancelled(String)

    static func draw(
        request: CreateRunRequest, template: TaskTemplate, plannedSteps: Int, using rng: inout SeededRandom
    ) -> Ending {
        if request.machineID == "m-6", rng.chance(0.8) {
            return .failed("machine_unreachable", "Machine m-6 stopped responding")
        }
        let roll = rng.int(in: 0...99)
        switch roll {
        case 0..<58: return .succeeded
        case 58..<83:
            if rng.chance(0.2) { return .failed(nil, rng.pick(FailureVocabulary.plainErrors)) }
            let code = rng.pick(FailureVocabulary.codes)
            return .failed(
                code,
                FailureVocabulary.message(
                    for: code, template: template, machineID: request.machineID, steps: plannedSteps))
        case 83..<92: return .timedOut(rng.chance(0.5) ? "Run exceeded its 15 min deadline" : nil)
        default: return .cancelled("Cancelled by an operator from the console")
        }
    }
}

/// Accumulates a script's events and the number of steps in it.
private struct ScriptWriter {
    let request: CreateRunRequest?
    let template: TaskTemplate?
    private(set) var events: [ScriptedEvent] = []
    private(set) var steps = 0

    init(request: CreateRunRequest?, template: TaskTemplate?) {
        self.request = request
        self.template = template
    }

    /// A `state` event; the `queued` one also names the run's machine, task and agent version, as
    /// Coasty's run object does, so a recorder can tell where each run ran from its stream alone.
    mutating func state(_ state: String, _ message: String, at time: Int64, pausesForHuman: Bool = false) {
        var members: [JSONMember] = [
            JSONMember("event", "state"), JSONMember("state", .string(state)), JSONMember("message", .string(message)),
        ]
        if state == "queued", let request {
            members += [
                JSONMember("machine_id", .string(request.machineID)), JSONMember("task", .string(request.task)),
                JSONMember("cua_version", .string(request.cuaVersion.rawValue)),
            ]
        }
        members.append(JSONMember("ts", .string(SimTime.iso8601(time))))
        let payload = JSONValue.object(members)
        events.append(ScriptedEvent(type: "state", payload: payload, time: time, pausesForHuman: pausesForHuman))
    }

    mutating func step(_ action: ScriptedAction, at time: Int64, url: String) {
        steps += 1
        var members: [JSONMember] = [
            JSONMember("event", "step"), JSONMember("state", "running"), JSONMember("step", .int(Int64(steps))),
            JSONMember("message", .string(action.message)), JSONMember("action", action.json),
            JSONMember("url", .string(url)),
        ]
        if request?.cuaVersion == .v4 { members.append(JSONMember("reasoning", .string(action.reasoning))) }
        members.append(JSONMember("ts", .string(SimTime.iso8601(time))))
        events.append(ScriptedEvent(type: "step", payload: .object(members), time: time))
    }

    mutating func message(_ text: String, at time: Int64) {
        let payload = JSONValue.members([
            "event": "message", "message": .string(text), "ts": .string(SimTime.iso8601(time)),
        ])
        events.append(ScriptedEvent(type: "message", payload: payload, time: time))
    }

    /// Appends the terminal state and the result, which reports `reportedSteps` steps, in an order
    /// the seed chooses.
    mutating func finish(_ ending: Ending, at time: Int64, reportedSteps: Int, using rng: inout SeededRandom) {
        let (state, message, error): (String, String, JSONValue) =
            switch ending {
            case .succeeded: ("succeeded", "Task completed", .null)
            case .failed(let code?, let message):
                ("failed", message, .members(["code": .string(code), "message": .string(message)]))
            case .failed(nil, let message): ("failed", message, .string(message))
            case .timedOut(let message?):
                ("timed_out", message, .members(["code": "deadline_exceeded", "message": .string(message)]))
            case .timedOut(nil): ("timed_out", "Run timed out", .null)
            case .cancelled(let message): ("cancelled", message, .null)
            }
        let stateAt = events.count
        self.state(state, message, at: time)
        let resultTime = time + Int64(rng.int(in: 5...60))
        let output: JSONValue = ending == .succeeded ? .optional(template?.output) : .null
        let result = JSONValue.members([
            "success": .bool(ending == .succeeded), "output": output, "error": error,
            "steps": .int(Int64(reportedSteps)),
        ])
        // A run ends with its result and terminal state in either order; times never go backwards,
        // so a result sent first carries the terminal state's time.
        let resultFirst = rng.chance(0.5)
        let at = resultFirst ? time : resultTime
        let payload = JSONValue.members([
            "event": "result", "state": .string(state), "result": result, "ts": .string(SimTime.iso8601(at)),
        ])
        events.insert(ScriptedEvent(type: "result", payload: payload, time: at), at: resultFirst ? stateAt : events.count)
    }
}
