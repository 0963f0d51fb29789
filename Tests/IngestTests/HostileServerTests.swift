// Ingest against servers that misbehave on purpose: redirects that would carry the API key to
// another origin, Retry-After and `retry:` values that overflow, streams that end without new
// events for ever, and run ids that try to leave their path segment. Each attack is reproduced
// here first; ingest must end with a clear error, leak nothing and crash on nothing.

import Foundation
import Hummingbird
import Ingest
import Ledger
import LedgerTestSupport
import Testing

@Suite struct HostileServerTests {
    static let key = "secret-key-do-not-leak"
    let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    private func ingest(_ runID: String, from url: URL, configure: (inout IngestOptions) -> Void = { _ in }) async throws
        -> (RunIngestOutcome, LedgerStore)
    {
        let store = try LedgerStore(path: scratch.path("ledger-\(UUID().uuidString).sqlite"))
        var options = IngestOptions(baseURL: url.absoluteString, apiKey: Self.key)
        options.backoff = Backoff(initial: .milliseconds(1), maximum: .milliseconds(5), maxAttempts: 4, serverDelayLimit: .milliseconds(20))
        configure(&options)
        let report = try await IngestSession(store: store, options: options).run([runID])
        return (report.runs[0], store)
    }

    static let stream = "id: 1\ndata: {\"event\":\"state\",\"state\":\"succeeded\"}\n\nid: 2\ndata: {\"event\":\"result\",\"state\":\"succeeded\",\"result\":{\"steps\":0}}\n\n"

    @Test(arguments: [RedirectPolicy.refuse, .sameOrigin])
    func aRedirectToAnotherOriginIsRefusedAndTheKeyNeverLeaves(policy: RedirectPolicy) async throws {
        let elsewhere = try await HostileServer { _, _ in .text(200, Self.stream) }
        defer { Task { await elsewhere.stop() } }
        let target = elsewhere.url.absoluteString + "/v1/runs/run-1/events"
        let hostile = try await HostileServer { _, _ in .text(302, "", headers: [.location: target]) }
        defer { Task { await hostile.stop() } }

        let (outcome, store) = try await ingest("run-1", from: hostile.url) { $0.redirects = policy }
        guard case .redirected(_, let refused)? = outcome.error else {
            Issue.record("expected a refused redirect, got \(String(describing: outcome.error))")
            return
        }
        #expect(refused.location == target)
        #expect(outcome.error?.localizedDescription.contains(Self.key) == false)
        #expect(await elsewhere.requests.isEmpty, "the other origin must receive nothing")
        #expect(try store.events(of: "run-1").isEmpty)
    }

    @Test func aSameOriginRedirectIsFollowedOnlyWhenAllowed() async throws {
        let server = try await HostileServer { target, _ in
            target.hasPrefix("/moved") ? .text(200, Self.stream) : .text(307, "", headers: [.location: "/moved/run-1/events"])
        }
        defer { Task { await server.stop() } }
        let (refused, _) = try await ingest("run-1", from: server.url)
        #expect(refused.error != nil)
        let (followed, store) = try await ingest("run-1", from: server.url) { $0.redirects = .sameOrigin }
        #expect(followed.error == nil && followed.complete, "\(String(describing: followed.error))")
        #expect(try store.events(of: "run-1").map(\.eventID) == ["1", "2"])
        #expect(await server.requests.allSatisfy { $0.headers["x-api-key"] == Self.key })
    }

    @Test func anAbsurdRetryAfterNeitherCrashesNorParksTheRun() async throws {
        let server = try await HostileServer { _, _ in
            .text(503, "{\"error\":{\"message\":\"down\"}}", headers: [.retryAfter: "9223372036854775807"])
        }
        defer { Task { await server.stop() } }
        let (outcome, _) = try await ingest("run-1", from: server.url)
        #expect(outcome.error == .unreachable(runID: "run-1", attempts: 4, lastError: "HTTP 503 down"))
        #expect(await server.requests.count == 4)
    }

    @Test(arguments: ["9223372036854775807", "99999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT", "-5", "soon"])
    func retryAfterIsReadWithoutTrapsAndCapped(value: String) {
        var random = SplitMix(seed: 1)
        let asked = Backoff.retryAfter(value)
        let delay = Backoff().delay(attempt: 1, reconnectionTime: asked, using: &random)
        #expect(delay <= Backoff().serverDelayLimit)
    }

    @Test func aStreamThatKeepsEndingWithoutNewEventsIsGivenUp() async throws {
        // Every connection replays the same running event with a huge `retry:` and ends cleanly.
        let server = try await HostileServer { _, _ in
            .text(200, "retry: 999999999999\nid: 1\ndata: {\"event\":\"state\",\"state\":\"running\"}\n\n")
        }
        defer { Task { await server.stop() } }
        let (outcome, store) = try await ingest("run-1", from: server.url)
        #expect(
            outcome.error
                == .unreachable(
                    runID: "run-1", attempts: 4, lastError: "the server ended the stream before the run was terminal"))
        #expect(outcome.connections == 4, "one connection that stored the event, then three without progress")
        #expect(try store.events(of: "run-1").count == 1)
    }

    @Test func runIDsTravelAsOneEncodedPathSegment() async throws {
        let server = try await HostileServer { _, _ in .text(404, "{\"error\":{\"message\":\"no such run\"}}") }
        defer { Task { await server.stop() } }
        let (outcome, _) = try await ingest("../../admin/purge?all=1#", from: server.url)
        #expect(outcome.error == .rejected(runID: "../../admin/purge?all=1#", status: 404, message: "no such run"))
        let targets = await server.requests.map(\.target)
        #expect(targets == ["/v1/runs/..%2F..%2Fadmin%2Fpurge%3Fall%3D1%23/events"])
    }

    @Test(arguments: ["", ".", "..", "run\u{1B}[2J", "run\nX-Injected: 1"])
    func runIDsNoEncodingMakesSafeAreRefusedBeforeAnyRequest(runID: String) async throws {
        let server = try await HostileServer { _, _ in .text(200, Self.stream) }
        defer { Task { await server.stop() } }
        let (outcome, _) = try await ingest(runID, from: server.url)
        guard case .invalidRunID? = outcome.error else {
            Issue.record("expected the run id to be refused, got \(String(describing: outcome.error))")
            return
        }
        #expect(await server.requests.isEmpty)
    }

    @Test func aMessageThatIsNotUTF8IsRefusedAndKeptAsideNeverStoredAltered() async throws {
        let bad: [UInt8] = Array("id: 2\ndata: {\"event\":\"message\",\"message\":\"".utf8) + [0xFF, 0xFE] + Array("\"}\n\n".utf8)
        let body = Array("id: 1\ndata: {\"event\":\"state\",\"state\":\"running\"}\n\n".utf8) + bad
            + Array(Self.stream.replacingOccurrences(of: "id: 1", with: "id: 3").replacingOccurrences(of: "id: 2", with: "id: 4").utf8)
        let server = try await HostileServer { _, _ in .bytes(body) }
        defer { Task { await server.stop() } }
        let (outcome, store) = try await ingest("run-1", from: server.url)
        #expect(outcome.error == nil && outcome.complete, "\(String(describing: outcome.error))")
        #expect(outcome.refused >= 1)
        #expect(try store.events(of: "run-1").map(\.eventID) == ["1", "3", "4"])
        let refused = try store.refusedMessages()
        #expect(refused.count == 1, "a redelivery of the same bytes is kept once")
        #expect(refused.first?.eventID == "2")
        #expect(refused.first?.data == Array(bad.dropFirst("id: 2\ndata: ".utf8.count).dropLast(2)))
        let report = try store.verify(progressInterval: 1_000) { _ in }
        #expect(report.problems.map(\.kind) == [.refusedMessage])
    }

    @Test func cancellingIngestEndsAServerAskedWaitAtOnce() async throws {
        let server = try await HostileServer { _, _ in .text(503, "busy", headers: [.retryAfter: "100"]) }
        defer { Task { await server.stop() } }
        let store = try LedgerStore(path: scratch.path("wait.sqlite"))
        let options = IngestOptions(baseURL: server.url.absoluteString, apiKey: Self.key)
        let ingest = Task { try await IngestSession(store: store, options: options).run(["run-1"]) }
        let deadline = ContinuousClock.now + .seconds(20)
        while await server.requests.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        ingest.cancel()
        // The wait asked for is 100 s; a cancelled ingest must not sit it out.
        let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { _ = try await ingest.value; return true }
            group.addTask { try await Task.sleep(for: .seconds(20)); return false }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        #expect(finished)
    }
}
