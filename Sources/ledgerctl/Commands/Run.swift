// `ledgerctl run create|cancel|resume`: run control through the Coasty API that leaves an audit
// trail. Each action is recorded in the run's history (who, when, the request without secrets,
// the API's answer), so `timeline` shows who created, cancelled or resumed a run.

import ArgumentParser
import Foundation
import Ingest
import Ledger

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Create, cancel or resume runs, recording who did it in the run's history.",
        subcommands: [Create.self, Cancel.self, Resume.self]
    )

    /// Who the operator is: `--actor`, else the OS user.
    struct ActorOptions: ParsableArguments {
        @Option(help: "Who performs the action, for the audit trail (default: the OS user).")
        var actor: String?

        var resolved: String {
            actor ?? ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 }
                ?? ProcessInfo.processInfo.userName
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a run (POST /v1/runs) and print its id.",
            discussion: "With --follow, ingests the run until it is terminal.")

        @Option(help: "The machine to run on.") var machine: String
        @Option(help: "What the agent should do.") var task: String
        @Option(help: "The agent version: v3 or v4.") var cuaVersion: String?
        @Option(help: "Stop after this many steps.") var maxSteps: Int?
        @Option(help: "Time limit in seconds.") var deadline: Int?
        @Option(help: "Extra instructions for the agent.") var instructions: String?
        @Option(help: "When the agent needs a human: pause, fail or cancel.") var onAwaitingHuman: String?
        @Option(help: "A URL Coasty calls when the run ends.") var webhookURL: String?
        @Flag(help: "Ingest the run until it is terminal.") var follow = false
        @OptionGroup var actor: ActorOptions
        @OptionGroup var api: APIOptions
        @OptionGroup var store: StoreOptions

        func validate() throws {
            if let cuaVersion, !["v3", "v4"].contains(cuaVersion) {
                throw ValidationError("--cua-version must be v3 or v4, got '\(cuaVersion)'")
            }
            if let onAwaitingHuman, !["pause", "fail", "cancel"].contains(onAwaitingHuman) {
                throw ValidationError("--on-awaiting-human must be pause, fail or cancel, got '\(onAwaitingHuman)'")
            }
            if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
            if let deadline, deadline < 1 { throw ValidationError("--deadline must be at least 1 second") }
        }

        func run() async throws {
            let request = RunRequest(
                machineID: machine, task: task, cuaVersion: cuaVersion, instructions: instructions, maxSteps: maxSteps,
                deadlineSeconds: deadline, webhookURL: webhookURL, onAwaitingHuman: onAwaitingHuman)
            let baseURL = try api.resolvedBaseURL()
            let ledger = try await store.openStore(.create)
            let (runID, response) = try await CoastyClient(baseURL: baseURL, apiKey: api.resolvedAPIKey, redirects: api.redirects).createRun(request)
            try await ledger.recordOperatorAction(
                .create, runID: runID, actor: actor.resolved, at: UTCTime.now(), request: request, response: response)
            print(runID)
            if follow {
                try await IngestCommand.ingest(
                    [runID], into: ledger, options: IngestOptions(baseURL: baseURL, apiKey: api.resolvedAPIKey))
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a run (POST /v1/runs/{id}/cancel).")
        @Argument(help: "The run to cancel.") var runID: String
        @OptionGroup var actor: ActorOptions
        @OptionGroup var api: APIOptions
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await control(.cancel, runID: runID, actor: actor.resolved, api: api, store: store)
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume a run waiting for a human (POST /v1/runs/{id}/resume).")
        @Argument(help: "The run to resume.") var runID: String
        @OptionGroup var actor: ActorOptions
        @OptionGroup var api: APIOptions
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await control(.resume, runID: runID, actor: actor.resolved, api: api, store: store)
        }
    }

    static func control(_ action: RunAction, runID: String, actor: String, api: APIOptions, store: StoreOptions) async throws {
        let client = CoastyClient(baseURL: try api.resolvedBaseURL(), apiKey: api.resolvedAPIKey, redirects: api.redirects)
        let response = try await client.control(action, runID: runID)
        try await store.openStore(.create).recordOperatorAction(
            action, runID: runID, actor: actor, at: UTCTime.now(), request: nil, response: response)
        print("\(action == .cancel ? "cancelled" : "resumed") \(runID)")
    }
}
