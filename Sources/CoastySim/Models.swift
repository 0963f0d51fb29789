// The values the simulated Coasty API speaks: run creation requests (validated field by field,
// as `POST /v1/runs` does), the canonical log entry `SimEvent`, and the fixed machine fleet.

import Foundation

/// The agent generation a run uses.
package enum CUAVersion: String, Sendable, Equatable, CaseIterable {
    case v3
    case v4
}

/// What a run does when the agent needs a human.
package enum AwaitingHumanPolicy: String, Sendable, Equatable, CaseIterable {
    /// Stop at `awaiting_human` until `POST /resume` (or the configured auto-resume delay).
    case pause
    /// End the run as `failed`.
    case fail
    /// End the run as `cancelled`.
    case cancel
}

/// The body of `POST /v1/runs`.
package struct CreateRunRequest: Sendable, Equatable {
    /// `machine_id`: the machine the agent drives (any non-empty id; the fleet is `m-1`…`m-6`).
    package var machineID: String
    /// `task`: what the agent is asked to do.
    package var task: String
    /// `cua_version`, v4 when absent.
    package var cuaVersion: CUAVersion
    /// `instructions`: extra guidance, echoed in the run object.
    package var instructions: String?
    /// `max_steps`: a run that would take more steps fails with `max_steps_exceeded`.
    package var maxSteps: Int?
    /// `deadline_seconds`: a run whose simulated time passes this ends `timed_out`.
    package var deadlineSeconds: Int?
    /// `webhook_url`: stored and echoed; the simulator calls no webhooks.
    package var webhookURL: String?
    /// `on_awaiting_human`, pause when absent.
    package var onAwaitingHuman: AwaitingHumanPolicy

    /// A request with the API's defaults for the optional fields.
    package init(
        machineID: String,
        task: String,
        cuaVersion: CUAVersion = .v4,
        instructions: String? = nil,
        maxSteps: Int? = nil,
        deadlineSeconds: Int? = nil,
        webhookURL: String? = nil,
        onAwaitingHuman: AwaitingHumanPolicy = .pause
    ) {
        self.machineID = machineID
        self.task = task
        self.cuaVersion = cuaVersion
        self.instructions = instructions
        self.maxSteps = maxSteps
        self.deadlineSeconds = deadlineSeconds
        self.webhookURL = webhookURL
        self.onAwaitingHuman = onAwaitingHuman
    }

    /// Validates a JSON request body; the error names the first offending field.
    package init(json data: Data) throws(SimError) {
        guard let body = JSONValue.parse(data), case .object = body else {
            throw .invalidRequest("the request body must be a JSON object")
        }
        func requiredString(_ field: String) throws(SimError) -> String {
            guard let value = body[field], value != .null else { throw .invalidRequest("\(field) is required") }
            guard let text = value.stringValue, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .invalidRequest("\(field) must be a non-empty string")
            }
            return text
        }
        func optionalString(_ field: String) throws(SimError) -> String? {
            guard let value = body[field], value != .null else { return nil }
            guard let text = value.stringValue else { throw .invalidRequest("\(field) must be a string") }
            return text
        }
        func optionalPositiveInt(_ field: String) throws(SimError) -> Int? {
            guard let value = body[field], value != .null else { return nil }
            guard case .int(let number) = value, number > 0, number <= Int64(Int32.max) else {
                throw .invalidRequest("\(field) must be an integer greater than 0")
            }
            return Int(number)
        }
        func optionalChoice<Choice: RawRepresentable & CaseIterable>(
            _ field: String, default fallback: Choice
        ) throws(SimError) -> Choice where Choice.RawValue == String {
            guard let value = body[field], value != .null else { return fallback }
            guard let text = value.stringValue, let choice = Choice(rawValue: text) else {
                let allowed = Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw .invalidRequest("\(field) must be one of \(allowed)")
            }
            return choice
        }

        self.machineID = try requiredString("machine_id")
        self.task = try requiredString("task")
        self.cuaVersion = try optionalChoice("cua_version", default: CUAVersion.v4)
        self.instructions = try optionalString("instructions")
        self.maxSteps = try optionalPositiveInt("max_steps")
        self.deadlineSeconds = try optionalPositiveInt("deadline_seconds")
        self.webhookURL = try optionalString("webhook_url")
        if let webhook = webhookURL, !(webhook.hasPrefix("http://") || webhook.hasPrefix("https://")) {
            throw .invalidRequest("webhook_url must be an http or https URL")
        }
        self.onAwaitingHuman = try optionalChoice("on_awaiting_human", default: AwaitingHumanPolicy.pause)
    }

    /// A stable text of every field, mixed into the run's random seed.
    var fingerprint: String {
        [
            machineID, task, cuaVersion.rawValue, instructions ?? "", maxSteps.map(String.init) ?? "",
            deadlineSeconds.map(String.init) ?? "", webhookURL ?? "", onAwaitingHuman.rawValue,
        ].joined(separator: "\u{1F}")
    }
}

/// One entry of a run's event log, as a WHATWG-conforming SSE parser dispatches it.
///
/// `id` is nil for an entry written without an `id:` line, `type` is nil for one written without an
/// `event:` line (a parser reports "message"), and `data` is the joined `data:` text, which contains
/// line feeds when the entry was framed as several `data:` lines.
package struct SimEvent: Sendable, Equatable, Hashable {
    /// The entry's own `id:`, nil when it has none.
    package var id: String?
    /// The `event:` field, nil when absent.
    package var type: String?
    /// The joined `data:` lines.
    package var data: String

    /// An entry with these fields.
    package init(id: String?, type: String?, data: String) {
        self.id = id
        self.type = type
        self.data = data
    }
}

/// A machine of the simulated fleet (`GET /v1/machines`).
struct Machine: Sendable {
    let id: String
    let name: String
    let os: String
    let status: String

    /// The fleet every simulator serves; runs are spread over it.
    static let fleet: [Machine] = [
        Machine(id: "m-1", name: "finance-win-01", os: "windows-11", status: "online"),
        Machine(id: "m-2", name: "finance-win-02", os: "windows-11", status: "busy"),
        Machine(id: "m-3", name: "ops-ubuntu-01", os: "ubuntu-22.04", status: "online"),
        Machine(id: "m-4", name: "ops-ubuntu-02", os: "ubuntu-24.04", status: "online"),
        Machine(id: "m-5", name: "design-mac-01", os: "macos-14", status: "online"),
        Machine(id: "m-6", name: "legacy-win-07", os: "windows-10", status: "offline"),
    ]

    var json: JSONValue {
        .members(["id": .string(id), "name": .string(name), "os": .string(os), "status": .string(status)])
    }
}
