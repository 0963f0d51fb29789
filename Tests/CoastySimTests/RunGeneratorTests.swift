// The generated runs themselves, in process: a seed's runs cover every terminal state, versions,
// machines, failure taxonomies and billing discrepancies; steps stay in range, time moves forward,
// and request limits (max_steps, deadline, on_awaiting_human) end runs as the API says.

import Foundation
import Testing

@testable import CoastySim

@Suite struct RunGeneratorTests {
    @Test func aSeedsRunsCoverEveryOutcomeAndStayInRange() async throws {
        let seed: UInt64 = 2_024
        let sim = CoastySim(configuration: SimConfiguration(seed: seed, initialRuns: 300, stepsPerRun: 5...60))
        var terminal: Set<String> = []
        var versions: Set<String> = []
        var machines: Set<String> = []
        var errorCodes: Set<String> = []
        var stringErrors = 0
        var discrepancies = 0
        var paused = 0
        var starts: [Date] = []
        for runID in await sim.runIDs {
            let log = await sim.log(of: runID)
            let data = log.map(object)
            let steps = data.filter { $0["event"] as? String == "step" }
            #expect(steps.count <= 60, "seed \(seed) run \(runID)")
            #expect(steps.compactMap { $0["step"] as? Int } == Array(stride(from: 1, through: steps.count, by: 1)))
            // A run ends with its result and its terminal state, in either order.
            let ending = data.suffix(2)
            let result = try #require(ending.compactMap { $0["result"] as? [String: Any] }.first, "seed \(seed) run \(runID)")
            let endingState = try #require(ending.first { $0["event"] as? String == "state" }, "seed \(seed) run \(runID)")
            terminal.insert(endingState["state"] as? String ?? "")
            if let error = result["error"] as? [String: Any], let code = error["code"] as? String {
                errorCodes.insert(code)
            }
            if result["error"] is String { stringErrors += 1 }
            if result["steps"] as? Int != steps.count { discrepancies += 1 }
            if data.contains(where: { $0["state"] as? String == "awaiting_human" }) { paused += 1 }
            let times = data.compactMap { ($0["ts"] as? String).flatMap(parseTime) }
            #expect(times.count == data.count)
            #expect(times == times.sorted(), "seed \(seed) run \(runID)")
            starts += times.prefix(1)
            let run = try await runObject(sim, runID)
            versions.insert(run["cua_version"] as? String ?? "")
            machines.insert(run["machine_id"] as? String ?? "")
        }
        #expect(terminal == ["succeeded", "failed", "cancelled", "timed_out"])
        #expect(versions == ["v3", "v4"])
        #expect(machines.count >= 4)
        #expect(
            errorCodes.isSuperset(of: ["element_not_found", "captcha_blocked", "auth_failed", "machine_unreachable"]))
        #expect(stringErrors > 0)
        #expect((1...30).contains(discrepancies), "\(discrepancies) discrepancies in 300 runs")
        #expect(paused > 0)
        let span = try #require(starts.max()).timeIntervalSince(try #require(starts.min()))
        #expect(span > 30 * 86_400 && span <= 42 * 86_400)
    }

    @Test func maxStepsEndsTheRunWithMaxStepsExceeded() async throws {
        let sim = CoastySim(configuration: SimConfiguration(stepsPerRun: 20...20))
        let runID = await sim.createRun(
            CreateRunRequest(machineID: "m-1", task: "Export the weekly sales report as CSV", maxSteps: 3))
        let data = await sim.log(of: runID).map(object)
        #expect(data.filter { $0["event"] as? String == "step" }.count == 3)
        #expect(data.last?["state"] as? String == "failed")
        let error = (data.last?["result"] as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "max_steps_exceeded")
    }

    @Test func aDeadlineEndsTheRunAsTimedOut() async throws {
        let sim = CoastySim(configuration: SimConfiguration(stepsPerRun: 60...60))
        let runID = await sim.createRun(CreateRunRequest(machineID: "m-1", task: "Check stock", deadlineSeconds: 20))
        let data = await sim.log(of: runID).map(object)
        #expect(data.last?["state"] as? String == "timed_out")
        #expect(data.filter { $0["event"] as? String == "step" }.count < 20)
    }

    @Test(arguments: [(AwaitingHumanPolicy.fail, "failed"), (.cancel, "cancelled")])
    func awaitingHumanWithFailOrCancelEndsTheRunThere(policy: AwaitingHumanPolicy, state: String) async throws {
        let sim = CoastySim(configuration: SimConfiguration(seed: 11, stepsPerRun: 4...8))
        for index in 0..<200 {
            let runID = await sim.createRun(
                CreateRunRequest(machineID: "m-3", task: "Task \(index)", onAwaitingHuman: policy))
            let states = await sim.log(of: runID).map(object).compactMap { $0["state"] as? String }
            guard let pause = states.firstIndex(of: "awaiting_human") else { continue }
            #expect(Array(states[(pause + 1)...]) == [state, state])
            return
        }
        Issue.record("no run reached awaiting_human in 200 tries")
    }
}

private func parseTime(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}

/// The run object as `GET /v1/runs/{id}` returns it, without HTTP.
private func runObject(_ sim: CoastySim, _ runID: String) async throws -> [String: Any] {
    let object = try await sim.store.runObject(runID)
    return (try JSONSerialization.jsonObject(with: Data(object.serialized().utf8))) as? [String: Any] ?? [:]
}
