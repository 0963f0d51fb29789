// The event stream without faults: what it carries, that it ends after the terminal result, that
// Last-Event-ID resumes after the named entry, that logs grow on their own clock, and that the
// same seed gives the same runs byte for byte.

import AsyncHTTPClient
import Foundation
import Testing

@testable import CoastySim

@Suite struct StreamTests {
    @Test func streamCarriesTheLogAndEndsAfterTheTerminalResult() async throws {
        try await withSim(SimConfiguration(seed: 3, initialRuns: 6)) { sim, url in
            for runID in await sim.runIDs {
                let read = try await readStream(url, runID: runID)
                #expect(read.status == 200)
                #expect(read.error == nil)
                let events = parseEvents(read.bytes)
                #expect(events == (await sim.log(of: runID)))
                #expect(events.map(\.id) == (1...events.count).map { String($0) })
                let data = events.map(object)
                #expect(data.first?["state"] as? String == "queued")
                #expect(data.dropFirst().first?["state"] as? String == "running")
                // The run ends with its result and its terminal state, in either order.
                let ending = data.suffix(2).compactMap { $0["event"] as? String }
                #expect(ending.sorted() == ["result", "state"])
                let last = try #require(data.last)
                #expect(terminalStates.contains(last["state"] as? String ?? ""))
                #expect(data[data.count - 2]["state"] as? String == last["state"] as? String)
                for (event, object) in zip(events, data) {
                    #expect(event.type == object["event"] as? String)
                    #expect((object["ts"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
                }
            }
        }
    }

    @Test func lastEventIDResumesAfterThatEntryAndAnUnknownIDFromTheStart() async throws {
        try await withSim(SimConfiguration(seed: 5, initialRuns: 1, stepsPerRun: 10...20)) { sim, url in
            let runID = try #require(await sim.runIDs.first)
            let log = await sim.log(of: runID)
            let resumed = try await readStream(url, runID: runID, lastEventID: "4")
            #expect(parseEvents(resumed.bytes) == Array(log.dropFirst(4)))
            let last = try #require(log.last?.id)
            let atEnd = try await readStream(url, runID: runID, lastEventID: last)
            #expect(atEnd.error == nil)
            #expect(atEnd.bytes.isEmpty)
            let unknown = try await readStream(url, runID: runID, lastEventID: "no-such-id")
            #expect(parseEvents(unknown.bytes) == log)
        }
    }

    @Test func logGrowsOnItsOwnClockAndTheStreamWaitsForIt() async throws {
        let configuration = SimConfiguration(seed: 8, stepsPerRun: 5...8, stepInterval: .milliseconds(40))
        try await withSim(configuration) { sim, url in
            let runID = await sim.createRun(CreateRunRequest(machineID: "m-2", task: "Approve pending timesheets"))
            let atCreation = await sim.log(of: runID).count
            let read = try await readStream(url, runID: runID)
            #expect(read.error == nil)
            let events = parseEvents(read.bytes)
            #expect(events.count >= 9)
            #expect(atCreation < events.count)
            #expect(events == (await sim.log(of: runID)))
            #expect(object(try #require(events.last))["event"] as? String == "result")
        }
    }

    @Test func stopCutsWaitingStreamsAndReleasesThePort() async throws {
        var configuration = SimConfiguration(seed: 11, stepsPerRun: 4...8, humanDelay: nil)
        configuration.apiKey = apiKey
        let sim = CoastySim(configuration: configuration)
        let url = try await sim.start()
        var paused: String?
        for index in 0..<200 where paused == nil {
            let runID = await sim.createRun(CreateRunRequest(machineID: "m-5", task: "Task \(index)"))
            if await sim.log(of: runID).last.map(object)?["state"] as? String == "awaiting_human" { paused = runID }
        }
        let runID = try #require(paused)
        var parser = SSEParser()
        var stopped = false
        let read = try await readStream(url, runID: runID) { chunk in
            if !stopped, parser.feed(chunk).last.map(object)?["state"] as? String == "awaiting_human" {
                stopped = true
                await sim.stop()
            }
        }
        #expect(stopped)
        #expect(read.error != nil)
        let port = try #require(url.port)
        await #expect(throws: SocketError.self) { try await rawGet(port: port, path: "/v1/machines", headers: [:]) }
        await #expect(throws: SimError.stopped) { try await sim.start() }
    }

    @Test func startFailsWhenThePortIsTaken() async throws {
        try await withSim(SimConfiguration()) { _, url in
            let second = CoastySim(configuration: SimConfiguration(port: try #require(url.port)))
            await #expect {
                try await second.start()
            } throws: { error in
                guard case .startFailed = error as? SimError else { return false }
                return true
            }
            await second.stop()
        }
    }

    @Test func sameSeedGivesTheSameRunsAndBytes() async throws {
        let configuration = SimConfiguration(seed: 42, initialRuns: 5, faults: SimFaults(trickyFraming: true))
        let extra = CreateRunRequest(machineID: "m-4", task: "Renew the certificate", cuaVersion: .v3, maxSteps: 9)
        func snapshot() async throws -> (ids: [String], logs: [[SimEvent]], bytes: [UInt8]) {
            try await withSim(configuration) { sim, url in
                _ = await sim.createRun(extra)
                let ids = await sim.runIDs
                var logs: [[SimEvent]] = []
                for id in ids { logs.append(await sim.log(of: id)) }
                let read = try await readStream(url, runID: ids[2])
                return (ids, logs, read.bytes)
            }
        }
        let first = try await snapshot()
        let second = try await snapshot()
        #expect(first.ids.count == 6)
        #expect(first.ids == second.ids)
        #expect(first.logs == second.logs)
        #expect(first.bytes == second.bytes)
        #expect(!first.bytes.isEmpty)

        let other = CoastySim(configuration: SimConfiguration(seed: 43, initialRuns: 5))
        #expect(await other.runIDs != first.ids)
    }
}
