// The request/response side of the simulated Coasty API over real HTTP: run creation and its
// validation, the API key, run objects, cancel and resume (with their 409s), and the machine list.

import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

@testable import CoastySim

@Suite struct APITests {
    @Test(arguments: [
        ("{}", "machine_id"),
        (#"{"machine_id":"m-1"}"#, "task"),
        (#"{"machine_id":7,"task":"x"}"#, "machine_id"),
        (#"{"machine_id":"m-1","task":""}"#, "task"),
        (#"{"machine_id":"m-1","task":"x","cua_version":"v5"}"#, "cua_version"),
        (#"{"machine_id":"m-1","task":"x","instructions":42}"#, "instructions"),
        (#"{"machine_id":"m-1","task":"x","max_steps":0}"#, "max_steps"),
        (#"{"machine_id":"m-1","task":"x","max_steps":"10"}"#, "max_steps"),
        (#"{"machine_id":"m-1","task":"x","max_steps":2.5}"#, "max_steps"),
        (#"{"machine_id":"m-1","task":"x","deadline_seconds":-3}"#, "deadline_seconds"),
        (#"{"machine_id":"m-1","task":"x","webhook_url":"ftp://x"}"#, "webhook_url"),
        (#"{"machine_id":"m-1","task":"x","on_awaiting_human":"ignore"}"#, "on_awaiting_human"),
        ("[1,2]", "body"),
        ("not json", "body"),
    ])
    func createRunRejectsAnInvalidFieldWith422NamingIt(body: String, field: String) async throws {
        try await withSim(SimConfiguration()) { _, url in
            let reply = try await call(.POST, url, "/v1/runs", body: body)
            #expect(reply.status == 422)
            #expect(reply.apiError.code == "invalid_request")
            #expect(reply.apiError.message?.contains(field) == true, "\(reply.text)")
        }
    }

    @Test func createRunAnswers201WithTheRunIDAndQueued() async throws {
        try await withSim(SimConfiguration()) { sim, url in
            let reply = try await call(
                .POST, url, "/v1/runs",
                body: runBody([
                    "cua_version": "v3", "max_steps": 30, "deadline_seconds": 900, "on_awaiting_human": "fail",
                ]))
            #expect(reply.status == 201)
            #expect(reply.json["state"] as? String == "queued")
            let runID = try #require(reply.json["run_id"] as? String)
            #expect(await sim.runIDs == [runID])

            let run = try await call(.GET, url, "/v1/runs/\(runID)")
            #expect(run.status == 200)
            #expect(run.json["run_id"] as? String == runID)
            #expect(run.json["machine_id"] as? String == "m-1")
            #expect(run.json["cua_version"] as? String == "v3")
            #expect(run.json["max_steps"] as? Int == 30)
            #expect(run.json["on_awaiting_human"] as? String == "fail")
            #expect(terminalStates.contains(run.json["state"] as? String ?? ""))
            let createdAt = try #require(run.json["created_at"] as? String)
            #expect(createdAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        }
    }

    @Test(arguments: [
        (HTTPMethod.GET, "/v1/machines"), (.GET, "/v1/runs/RUN"), (.GET, "/v1/runs/RUN/events"),
        (.POST, "/v1/runs"), (.POST, "/v1/runs/RUN/cancel"), (.POST, "/v1/runs/RUN/resume"),
    ])
    func everyEndpointAnswers401WithoutTheRightKey(method: HTTPMethod, path: String) async throws {
        try await withSim(SimConfiguration(initialRuns: 1)) { sim, url in
            let runID = try #require(await sim.runIDs.first)
            let path = path.replacingOccurrences(of: "RUN", with: runID)
            for key in [nil, "wrong-key"] {
                let reply = try await call(method, url, path, body: method == .POST ? runBody() : nil, key: key)
                #expect(reply.status == 401)
                #expect(reply.apiError.code == "unauthorized")
            }
        }
    }

    @Test func unknownRunsAnswer404() async throws {
        try await withSim(SimConfiguration()) { _, url in
            for (method, path) in [(HTTPMethod.GET, ""), (.GET, "/events"), (.POST, "/cancel"), (.POST, "/resume")] {
                let reply = try await call(method, url, "/v1/runs/run_missing" + path)
                #expect(reply.status == 404)
                #expect(reply.apiError.code == "not_found")
                #expect(reply.apiError.message?.contains("run_missing") == true)
            }
        }
    }

    @Test func machinesListsTheFleet() async throws {
        try await withSim(SimConfiguration()) { _, url in
            let reply = try await call(.GET, url, "/v1/machines")
            #expect(reply.status == 200)
            let machines = try #require(reply.json["machines"] as? [[String: Any]])
            #expect(machines.count >= 4)
            #expect(machines.first?["id"] as? String == "m-1")
            for machine in machines {
                #expect(machine["name"] is String)
                #expect(machine["os"] is String)
                #expect(machine["status"] is String)
            }
        }
    }

    @Test func cancelEndsARunningRunAndAnswers409OnceEnded() async throws {
        let configuration = SimConfiguration(stepsPerRun: 400...400, stepInterval: .milliseconds(10))
        try await withSim(configuration) { sim, url in
            let runID = await sim.createRun(
                CreateRunRequest(machineID: "m-1", task: "Cancel me", onAwaitingHuman: .pause))
            var parser = SSEParser()
            var seen: [SimEvent] = []
            var cancelled = false
            let read = try await readStream(url, runID: runID) { chunk in
                seen += parser.feed(chunk)
                if !cancelled, seen.filter({ $0.type == "step" }).count >= 3 {
                    cancelled = true
                    let reply = try await call(.POST, url, "/v1/runs/\(runID)/cancel")
                    #expect(reply.status == 200)
                    #expect(reply.json["state"] as? String == "cancelled")
                }
            }
            #expect(read.error == nil)
            #expect(cancelled)
            let log = await sim.log(of: runID)
            #expect(seen == log)
            let ending = log.suffix(2).map(object)
            #expect(ending.allSatisfy { $0["state"] as? String == "cancelled" })
            let result = try #require(ending.first { $0["event"] as? String == "result" })
            #expect((result["result"] as? [String: Any])?["steps"] as? Int == log.filter { $0.type == "step" }.count)

            let again = try await call(.POST, url, "/v1/runs/\(runID)/cancel")
            #expect(again.status == 409)
            #expect(again.apiError.code == "conflict")
        }
    }

    @Test func resumeContinuesAPausedRunAndAnswers409Otherwise() async throws {
        let configuration = SimConfiguration(seed: 11, stepsPerRun: 4...8, humanDelay: nil)
        try await withSim(configuration) { sim, url in
            var pausedRun: String?
            var finishedRun: String?
            for index in 0..<200 where pausedRun == nil || finishedRun == nil {
                let runID = await sim.createRun(CreateRunRequest(machineID: "m-3", task: "Task \(index)"))
                let last = await sim.log(of: runID).last.map(object)
                if last?["state"] as? String == "awaiting_human" { pausedRun = pausedRun ?? runID }
                if last?["event"] as? String == "result" { finishedRun = finishedRun ?? runID }
            }
            let paused = try #require(pausedRun)
            let finished = try #require(finishedRun)
            #expect(try await call(.GET, url, "/v1/runs/\(paused)").json["state"] as? String == "awaiting_human")

            var parser = SSEParser()
            var seen: [SimEvent] = []
            var resumed = false
            let read = try await readStream(url, runID: paused) { chunk in
                seen += parser.feed(chunk)
                if !resumed, seen.last.map(object)?["state"] as? String == "awaiting_human" {
                    resumed = true
                    let reply = try await call(.POST, url, "/v1/runs/\(paused)/resume")
                    #expect(reply.status == 200)
                }
            }
            #expect(read.error == nil)
            #expect(resumed)
            let log = await sim.log(of: paused)
            #expect(seen == log)
            let states = log.map(object).filter { $0["event"] as? String == "state" }.compactMap {
                $0["state"] as? String
            }
            #expect(states.starts(with: ["queued", "running"]))
            #expect(states.contains(["awaiting_human", "running"]))
            #expect(terminalStates.contains(states.last ?? ""))

            for runID in [paused, finished] {
                let again = try await call(.POST, url, "/v1/runs/\(runID)/resume")
                #expect(again.status == 409)
                #expect(again.apiError.code == "conflict")
            }
        }
    }

    @Test func aPausedRunResumesByItselfAfterTheHumanDelay() async throws {
        let configuration = SimConfiguration(seed: 11, stepsPerRun: 4...8, humanDelay: .milliseconds(300))
        try await withSim(configuration) { sim, url in
            for index in 0..<200 {
                let runID = await sim.createRun(CreateRunRequest(machineID: "m-3", task: "Task \(index)"))
                guard await sim.log(of: runID).last.map(object)?["state"] as? String == "awaiting_human" else {
                    continue
                }
                let read = try await readStream(url, runID: runID)
                #expect(read.error == nil)
                let events = parseEvents(read.bytes)
                #expect(object(try #require(events.last))["event"] as? String == "result")
                return
            }
            Issue.record("no run paused at awaiting_human in 200 tries")
        }
    }
}
