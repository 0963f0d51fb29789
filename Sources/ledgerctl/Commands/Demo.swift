// `ledgerctl demo`: the whole tool in one command. Starts CoastySim in-process on a loopback
// port with faults on, creates varied runs through POST /v1/runs, ingests them concurrently
// through drops, resends and tricky framing, and prints the reports. Running it again on the
// same store adds nothing: the simulator is seeded, so it serves the same runs.

import ArgumentParser
import CoastySim
import Foundation
import Ingest
import Ledger
import Query

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate Coasty, create and ingest runs, and print the reports.",
        discussion: """
            Starts the simulated Coasty API on 127.0.0.1 (an ephemeral port) with connection \
            drops, resends and tricky SSE framing turned on, creates --runs runs through \
            POST /v1/runs on its machines, ingests them all at once and prints the runs, cost and \
            failure reports. The same --seed serves the same runs, so a second demo on the same \
            store adds nothing.
            """)

    @Option(help: "Runs to create.")
    var runs = 50

    @Option(help: "The simulator's seed.")
    var seed: UInt64 = 2026

    @Flag(help: "Serve clean streams: no drops, resends or tricky framing.")
    var noFaults = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
    }

    private static let tasks = [
        "Refund the duplicate charge on the latest Stripe invoice",
        "Export last month's expense report from Expensify as CSV",
        "Book a meeting room for Thursday 10:00 in the facilities portal",
        "Update the shipping address on order 4471 in the Shopify admin",
        "Download the signed contract from DocuSign and file it in Drive",
        "Reset the VPN password for a new hire in the IT portal",
        "Reconcile yesterday's bank feed in QuickBooks",
        "File the weekly timesheet in Workday",
    ]

    func run() async throws {
        let started = ContinuousClock.now
        var simConfiguration = SimConfiguration(seed: seed)
        simConfiguration.stepsPerRun = 5...40
        if !noFaults {
            simConfiguration.faults.dropEvery = 9
            simConfiguration.faults.resendOnResume = true
            simConfiguration.faults.trickyFraming = true
        }
        let sim = CoastySim(configuration: simConfiguration)
        let baseURL = try await sim.start().absoluteString
        printStatus("demo: CoastySim listening on \(baseURL)\(noFaults ? "" : " (drops every 9 events, resends, tricky framing)")")
        do {
            let ledger = try await store.openStore(.create)
            let runIDs = try await createRuns(baseURL: baseURL, apiKey: simConfiguration.apiKey, ledger: ledger)
            var options = IngestOptions(baseURL: baseURL, apiKey: simConfiguration.apiKey)
            options.concurrency = 16
            try await IngestCommand.ingest(runIDs, into: ledger, options: options)
            await sim.stop()
            try await printReports(ledger)
            let elapsed = ContinuousClock.now - started
            printStatus("demo: done in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))); store: \(store.name)")
        } catch {
            await sim.stop()
            throw error
        }
    }

    /// Creates the runs through the API, recording each creation in its history (once: a run the
    /// store already knows was created by an earlier demo).
    private func createRuns(baseURL: String, apiKey: String, ledger: any ReportingStore) async throws -> [String] {
        let client = CoastyClient(baseURL: baseURL, apiKey: apiKey)
        let machines = try await client.machines().compactMap { $0["id"]?.stringValue ?? $0["machine_id"]?.stringValue }
        guard !machines.isEmpty else {
            throw CoastyAPIError(request: "GET /v1/machines", status: nil, message: "no machines to run on")
        }
        var runIDs: [String] = []
        for index in 0..<runs {
            let request = RunRequest(
                machineID: machines[index % machines.count],
                task: Self.tasks[(index * 5 + index / machines.count) % Self.tasks.count],
                cuaVersion: index % 3 == 0 ? "v3" : "v4",
                maxSteps: index % 11 == 5 ? 12 : nil,
                onAwaitingHuman: ["pause", "pause", "pause", "fail", "cancel"][index % 5])
            let (runID, response) = try await client.createRun(request)
            if try await ledger.stream(of: runID) == nil {
                try await ledger.recordOperatorAction(
                    .create, runID: runID, actor: "ledgerctl-demo", at: UTCTime.now(), request: request,
                    response: response)
            }
            runIDs.append(runID)
        }
        printStatus("demo: created \(runIDs.count) runs on \(machines.count) machines")
        return runIDs
    }

    /// The reports a user would ask for next, each under a heading naming the command that prints it in full.
    private func printReports(_ ledger: any ReportingStore) async throws {
        let listing = try QueryLanguage.compile(
            CannedReports.runs() + "\n| project run_id, failure_reason", for: ledger.engine)
        let runs = try await ledger.rows(of: listing).rows.map { (runID: $0[0], failed: $0[1] != .null) }
        let shown = 15
        let runsReport = try await QueryCommand.report(CannedReports.runs() + "\n| take \(shown)", on: ledger)
        section("runs (\(min(shown, runs.count)) of \(runs.count); all: ledgerctl runs)", runsReport)
        for grouping in [CostGrouping.machine, .state] {
            let report = try await QueryCommand.report(CannedReports.cost(by: grouping), on: ledger)
            section("cost by \(grouping.rawValue) (ledgerctl cost --by \(grouping.rawValue))", report)
        }
        section("failures by reason (ledgerctl failures)", try await QueryCommand.report(CannedReports.failures(), on: ledger))
        section(
            "billing discrepancies (ledgerctl cost --discrepancies)",
            try await QueryCommand.report(CannedReports.discrepancies(), on: ledger))
        if case .text(let runID) = runs.first(where: \.failed)?.runID ?? runs.first?.runID {
            section(
                "last steps of run \(runID) (ledgerctl timeline \(runID) --last 8)",
                Timeline.report(try await ledger.timeline(of: runID, last: 8)))
        }
    }

    private func section(_ title: String, _ report: Report) {
        print("\n== \(title)")
        print(ReportWriter.render(report, as: .table), terminator: "")
    }
}
