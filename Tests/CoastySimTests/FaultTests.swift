// Each stream fault over real HTTP: drops every K events (some mid-message, never a clean end of
// the chunked body, checked on raw sockets), resend on resume, tricky framing (asserted on the raw bytes and by parsing
// back to the log), slow writes and throttling; plus the fault-list syntax of `ledgerctl sim`.

import AsyncHTTPClient
import Foundation
import Testing

@testable import CoastySim

@Suite struct FaultTests {
    @Test func dropFaultCutsTheConnectionEveryKEventsSometimesMidMessage() async throws {
        let every = 4
        let configuration = SimConfiguration(
            seed: 21, initialRuns: 2, stepsPerRun: 30...40, faults: SimFaults(dropEvery: every))
        try await withSim(configuration) { sim, url in
            let runID = try #require(await sim.runIDs.first)
            let log = await sim.log(of: runID)
            let port = try #require(url.port)
            // Raw sockets show exactly what the server sent before closing.
            var collected: [SimEvent] = []
            var lastID: String?
            var cutMidMessage = 0
            var cutBetweenMessages = 0
            var ended = false
            for _ in 0..<100 where !ended {
                var headers = ["X-API-Key": apiKey]
                headers["Last-Event-ID"] = lastID
                let response = dechunk(try await rawGet(port: port, path: "/v1/runs/\(runID)/events", headers: headers))
                var parser = SSEParser()
                let events = parser.feed(response.body)
                collected += events
                lastID = events.last { $0.id != nil }?.id ?? lastID
                if response.sawLastChunk {
                    ended = true
                    #expect(events.count <= every)
                    #expect(!parser.hasPartialMessage)
                } else {
                    #expect(events.count == every)
                    if parser.hasPartialMessage { cutMidMessage += 1 } else { cutBetweenMessages += 1 }
                }
            }
            #expect(ended)
            #expect(collected == log)
            #expect(cutMidMessage > 0)
            #expect(cutBetweenMessages > 0)

            // Each cut point fires once: a second run, whose cut points are all fresh, shows that an
            // HTTP client sees the cut as an error, never as a clean end of the body.
            let other = try #require(await sim.runIDs.last)
            let otherLog = await sim.log(of: other)
            let read = try await readStream(url, runID: other)
            #expect(read.error != nil)
            #expect(parseEvents(read.bytes) == Array(otherLog.prefix(parseEvents(read.bytes).count)))
        }
    }

    @Test func resendFaultSendsTheResumedFromEventAgainFirst() async throws {
        let configuration = SimConfiguration(
            seed: 4, initialRuns: 1, stepsPerRun: 8...12, faults: SimFaults(resendOnResume: true))
        try await withSim(configuration) { sim, url in
            let runID = try #require(await sim.runIDs.first)
            let log = await sim.log(of: runID)
            let resumed = try await readStream(url, runID: runID, lastEventID: "5")
            #expect(parseEvents(resumed.bytes) == [log[4]] + log.dropFirst(5))
            let fresh = try await readStream(url, runID: runID)
            #expect(parseEvents(fresh.bytes) == log)
        }
    }

    @Test func trickyFramingUsesEveryFeatureAndStillParsesToTheLog() async throws {
        let configuration = SimConfiguration(
            seed: 9, initialRuns: 8, stepsPerRun: 10...30, faults: SimFaults(trickyFraming: true))
        try await withSim(configuration) { sim, url in
            var allBytes: [UInt8] = []
            var allEvents: [SimEvent] = []
            var fields: [(name: String, value: String)] = []
            for runID in await sim.runIDs {
                let log = await sim.log(of: runID)
                let read = try await readStream(url, runID: runID)
                #expect(read.error == nil)
                #expect(read.bytes.starts(with: [0xEF, 0xBB, 0xBF]))
                var parser = SSEParser()
                let events = parser.feed(read.bytes)
                #expect(events == log)
                #expect(!parser.hasPartialMessage)
                for event in events { #expect(!object(event).isEmpty, "data is not a JSON object: \(event.data)") }
                let replay = try await readStream(url, runID: runID)
                #expect(replay.bytes == read.bytes)
                allBytes += read.bytes
                allEvents += events
                fields += parser.fields
            }
            let text = String(decoding: allBytes, as: UTF8.self)
            #expect(text.contains("\r\n"))
            #expect(allBytes.indices.dropLast().contains { allBytes[$0] == 0x0D && allBytes[$0 + 1] != 0x0A })
            #expect(allBytes.indices.dropFirst().contains { allBytes[$0] == 0x0A && allBytes[$0 - 1] != 0x0D })
            #expect(fields.contains { $0.name == ":" })
            #expect(fields.contains { $0.name == "retry" && $0.value == "200" })
            #expect(fields.contains { !["data", "event", "id", "retry", ":"].contains($0.name) })
            #expect(text.contains("data:{"))
            #expect(allEvents.contains { $0.data.contains("\n") })
            #expect(allEvents.contains { $0.id == nil })
            #expect(allEvents.contains { $0.type == nil })
            let ids = allEvents.compactMap(\.id)
            #expect(!ids.isEmpty)
            #expect(ids.allSatisfy { $0.wholeMatch(of: /e-[0-9a-f]{6}-\d{4}/) != nil })

            // Resuming from an opaque id sends what follows it, id-less entries included.
            let runID = try #require(await sim.runIDs.first)
            let log = await sim.log(of: runID)
            let position = try #require(log.indices.dropFirst(2).first { log[$0].id != nil && log[$0 + 1].id == nil })
            let resumed = try await readStream(url, runID: runID, lastEventID: log[position].id)
            #expect(parseEvents(resumed.bytes) == Array(log[(position + 1)...]))
        }
    }

    @Test func throttleFaultAnswersEveryNthEventsRequestWith429Or503AndRetryAfter() async throws {
        let configuration = SimConfiguration(initialRuns: 1, faults: SimFaults(throttleEvery: 2))
        try await withSim(configuration) { sim, url in
            let runID = try #require(await sim.runIDs.first)
            var replies: [Reply] = []
            for _ in 0..<4 { replies.append(try await call(.GET, url, "/v1/runs/\(runID)/events")) }
            #expect(replies.map(\.status) == [200, 429, 200, 503])
            for reply in [replies[1], replies[3]] {
                #expect(reply.header("Retry-After") == "1")
                #expect(reply.apiError.code != nil)
                #expect(reply.apiError.message != nil)
            }
            #expect(parseEvents(replies[2].body) == (await sim.log(of: runID)))
        }
    }

    @Test func slowFaultDelaysEveryWrite() async throws {
        let delay = Duration.milliseconds(40)
        let configuration = SimConfiguration(initialRuns: 1, stepsPerRun: 5...5, faults: SimFaults(writeDelay: delay))
        try await withSim(configuration) { sim, url in
            let runID = try #require(await sim.runIDs.first)
            let count = await sim.log(of: runID).count
            let clock = ContinuousClock()
            let started = clock.now
            let read = try await readStream(url, runID: runID)
            #expect(clock.now - started >= delay * count)
            #expect(parseEvents(read.bytes).count == count)
        }
    }

    @Test func faultListParsesEveryFaultAndRejectsUnknownOnes() throws {
        let faults = try SimFaults(parsing: "drop=7, resend,framing,slow=20ms,throttle=50")
        #expect(
            faults
                == SimFaults(
                    dropEvery: 7, resendOnResume: true, trickyFraming: true, writeDelay: .milliseconds(20),
                    throttleEvery: 50))
        #expect(try SimFaults(parsing: "") == SimFaults())
        for bad in ["drop", "drop=0", "throttle=1", "slow=fast", "explode", "="] {
            #expect(throws: SimError.self) { try SimFaults(parsing: bad) }
        }
    }
}
