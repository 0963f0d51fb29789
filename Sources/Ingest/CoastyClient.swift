// The Coasty run-control calls (create, cancel, resume, machines) over HTTP. Each operator
// action is recorded in the run's history as a chained `ledger.operator` event naming who did
// what, when, with the request body (no secrets) and the API's answer.

import AsyncHTTPClient
import Foundation
import Ledger
import NIOCore

/// The body of `POST /v1/runs`.
package struct RunRequest: Sendable, Equatable, Codable {
    package var machineID: String
    package var task: String
    package var cuaVersion: String?
    package var instructions: String?
    package var maxSteps: Int?
    package var deadlineSeconds: Int?
    package var webhookURL: String?
    package var onAwaitingHuman: String?

    package init(
        machineID: String, task: String, cuaVersion: String? = nil, instructions: String? = nil, maxSteps: Int? = nil,
        deadlineSeconds: Int? = nil, webhookURL: String? = nil, onAwaitingHuman: String? = nil
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

    enum CodingKeys: String, CodingKey {
        case machineID = "machine_id", task, cuaVersion = "cua_version", instructions, maxSteps = "max_steps"
        case deadlineSeconds = "deadline_seconds", webhookURL = "webhook_url", onAwaitingHuman = "on_awaiting_human"
    }
}

/// A failed API call.
package struct CoastyAPIError: Error, Sendable, Equatable, LocalizedError {
    package var request: String
    package var status: Int?
    package var message: String
    package init(request: String, status: Int?, message: String) {
        self.request = request
        self.status = status
        self.message = message
    }

    package var errorDescription: String? {
        status.map { "\(request): HTTP \($0) \(message)" } ?? "\(request): \(message)"
    }
}

/// Calls the Coasty runs API and records operator actions in the store.
package struct CoastyClient: Sendable {
    package let baseURL: String
    package let apiKey: String?
    package let redirects: RedirectPolicy
    let http: HTTPClient

    /// A client of the API at `baseURL`; redirects are refused unless `redirects` allows same-origin ones.
    package init(baseURL: String, apiKey: String?, redirects: RedirectPolicy = .refuse, http: HTTPClient = Self.http) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.redirects = redirects
        self.http = http
    }

    /// The process-wide client for API calls: like `HTTPClient.shared`, but it leaves redirects to
    /// `RedirectPolicy`, which never sends the key to another origin.
    package static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = RedirectPolicy.clientRedirects
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// `POST /v1/runs`; returns the new run id and the API's answer.
    package func createRun(_ request: RunRequest) async throws -> (runID: String, response: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = try encoder.encode(request)
        let response = try await call("POST", "/v1/runs", body: body, expecting: [200, 201])
        guard let runID = response["run_id"]?.stringValue else {
            throw CoastyAPIError(request: "POST /v1/runs", status: nil, message: "the answer has no run_id")
        }
        return (runID, response)
    }

    /// `POST /v1/runs/{id}/cancel` or `/resume`.
    package func control(_ action: RunAction, runID: String) async throws -> JSONValue {
        let path: String
        do {
            path = try RunPath.path(of: runID, "/\(action.rawValue)")
        } catch {
            throw CoastyAPIError(
                request: "POST \(action.rawValue)", status: nil,
                message: "run id \(String(reflecting: runID)) cannot be requested: \(error.problem)")
        }
        return try await call("POST", path, body: nil, expecting: [200, 202])
    }

    /// `GET /v1/machines`: the machine objects.
    package func machines() async throws -> [JSONValue] {
        let response = try await call("GET", "/v1/machines", body: nil, expecting: [200])
        if case let .array(machines) = response { return machines }
        if case let .array(machines)? = response["machines"] ?? response["data"] { return machines }
        return []
    }

    private func call(_ method: String, _ path: String, body: Data?, expecting codes: Set<Int>) async throws -> JSONValue {
        let name = "\(method) \(path)"
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .RAW(value: method)
        request.headers.add(name: "Accept", value: "application/json")
        if let apiKey { request.headers.add(name: "X-API-Key", value: apiKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let text: String
        do {
            response = try await redirects.execute(request, on: http, timeout: .seconds(30))
            text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch let refused as RedirectRefused {
            throw CoastyAPIError(request: name, status: refused.status, message: refused.message)
        } catch {
            throw CoastyAPIError(request: name, status: nil, message: "\(error)")
        }
        let json = try? JSONValue.parse(text)
        guard codes.contains(Int(response.status.code)) else {
            let message = json?["error"]?["message"]?.stringValue ?? json?["message"]?.stringValue ?? text
            throw CoastyAPIError(request: name, status: Int(response.status.code), message: String(message.prefix(300)))
        }
        return json ?? .string(text)
    }
}

/// Operator actions on a run.
package enum RunAction: String, Sendable {
    case create, cancel, resume
}

extension EventStore {
    /// Records that `actor` performed `action` on `runID` at `at`, with the request body and the
    /// API's answer, as a `ledger.operator` event in the run's history.
    package func recordOperatorAction(
        _ action: RunAction, runID: String, actor: String, at: Int64, request: RunRequest?, response: JSONValue
    ) async throws {
        var members: [(String, JSONValue)] = [
            ("event", .string("operator")), ("action", .string(action.rawValue)), ("actor", .string(actor)),
            ("message", .string("\(actor) \(action == .create ? "created" : action == .cancel ? "cancelled" : "resumed") the run")),
        ]
        if let request {
            members += [("machine_id", .string(request.machineID)), ("task", .string(request.task))]
            if let version = request.cuaVersion { members.append(("cua_version", .string(version))) }
            if let data = try? JSONEncoder().encode(request), let body = try? JSONValue.parse(String(decoding: data, as: UTF8.self)) {
                members.append(("request", body))
            }
        }
        members += [("response", response), ("ts", .string(UTCTime.format(at)))]
        let event = RawEvent.annotation(
            eventID: "ledger:\(action.rawValue):\(at)", type: "ledger.operator", data: JSONValue.object(members).text,
            receivedAt: at)
        try await append([RunBatch(runID: runID, events: [event])])
    }
}
