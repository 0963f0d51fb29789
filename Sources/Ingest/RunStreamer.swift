// One worker: streams one run's events until the run is complete. Every (re)connect resumes from
// the store's resume point, so drops, resends and restarts neither lose nor duplicate events. A
// clean close is no proof of the end (a proxy or a deploy closes connections too): a run is
// complete only when it is terminal and a resume after its last stored event brings nothing new,
// so after the terminal event ingest asks once more, and records the confirmation in the store.
// 401/403/404 and refused redirects end the run at once; everything else is retried with
// backoff, and connections that store nothing new count toward the bound.

import AsyncHTTPClient
import Foundation
import Ledger
import NIOCore
import Synchronization

/// What happened to one run.
package struct RunIngestOutcome: Sendable, Equatable {
    package var runID: String
    /// Messages received over all connections (duplicates included).
    package var received = 0
    package var connections = 0
    /// Messages refused (a field not valid UTF-8) and kept aside instead of stored as events.
    package var refused = 0
    /// True when the run's stream is confirmed complete in the store (now or before this ingest).
    package var complete = false
    package var error: IngestError?
}

struct RunStreamer: Sendable {
    let runID: String
    let client: HTTPClient
    let options: IngestOptions
    let store: any EventStore
    let writer: EventWriter
    let counters: IngestCounters

    func run() async throws -> RunIngestOutcome {
        var outcome = RunIngestOutcome(runID: runID)
        let path: String
        do {
            path = try RunPath.path(of: runID, "/events")
        } catch {
            outcome.error = .invalidRunID(runID: runID, problem: error.problem)
            return outcome
        }
        var random = SystemRandomNumberGenerator()
        var failures = 0
        var reconnectionTime: Duration?
        var lastError = ""
        var stream: StreamSummary?
        var terminal: Bool
        do {
            stream = try await storedStream()
            if stream?.isComplete == true {
                outcome.complete = true
                return outcome
            }
            terminal = try await storedRunIsTerminal()
        } catch {
            outcome.error = .storage(runID: runID, reason: error.localizedDescription)
            return outcome
        }
        while true {
            try Task.checkCancellation()
            if failures > 0 {
                if failures >= options.backoff.maxAttempts {
                    outcome.error = .unreachable(runID: runID, attempts: failures, lastError: lastError)
                    return outcome
                }
                let delay = options.backoff.delay(attempt: failures, reconnectionTime: reconnectionTime, using: &random)
                try await Task.sleep(for: delay)
            }
            let before = stream?.eventCount ?? 0
            outcome.connections += 1
            if outcome.connections > 1 { counters.reconnects.add(1, ordering: .relaxed) }
            let ending: ConnectionEnding
            do {
                ending = try await connect(path, resumingAfter: stream?.resumeID ?? "", terminal: terminal)
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as IngestError {
                outcome.error = error
                return outcome
            } catch {
                ending = ConnectionEnding(kind: .failed("\(error)"))
            }
            try Task.checkCancellation()
            outcome.received += ending.received
            outcome.refused += ending.refused
            terminal = terminal || ending.sawTerminal
            do {
                stream = try await storedStream()
            } catch {
                outcome.error = .storage(runID: runID, reason: error.localizedDescription)
                return outcome
            }
            let madeProgress = (stream?.eventCount ?? 0) > before
            reconnectionTime = ending.retryAfter ?? ending.reconnectionTime ?? reconnectionTime
            switch ending.kind {
            case .closed, .idleAfterTerminal:
                if terminal && !madeProgress {
                    // Nothing new after the terminal event: complete, unless another writer moved the stream meanwhile.
                    let count = stream?.eventCount ?? 0
                    if try await confirm(eventCount: count) {
                        outcome.complete = true
                        return outcome
                    }
                    failures = 0
                } else if terminal {
                    // The terminal event came on this connection: one more resume confirms the end.
                    failures = 0
                } else {
                    failures = madeProgress ? 1 : failures + 1
                    lastError = "the server ended the stream before the run was terminal"
                }
            case let .failed(reason):
                failures = madeProgress ? 1 : failures + 1
                lastError = reason
            }
        }
    }

    /// How one connection ended and what it brought.
    private struct ConnectionEnding: Sendable {
        enum Kind: Sendable {
            /// The server ended the response.
            case closed
            /// The run was terminal and the stream stayed silent (keep-alives aside) for `confirmIdle`.
            case idleAfterTerminal
            case failed(String)
        }

        var kind: Kind
        var received = 0
        var refused = 0
        var sawTerminal = false
        var reconnectionTime: Duration?
        var retryAfter: Duration?
    }

    /// Flushes what was received and reads the run's stream back from the store.
    private func storedStream() async throws -> StreamSummary? {
        try await writer.flush()
        return try await store.stream(of: runID)
    }

    /// Whether the run's last stored event from the stream carries a terminal state (Ledger's own
    /// annotations, such as operator actions, may follow it).
    private func storedRunIsTerminal() async throws -> Bool {
        guard let last = try await store.lastEvent(of: runID) else { return false }
        let fromStream = last.type.hasPrefix(RawEvent.annotationTypePrefix)
            ? try await store.events(of: runID).last { !$0.type.hasPrefix(RawEvent.annotationTypePrefix) } : last
        return fromStream.map { EventFacts.terminalState(inData: $0.data) != nil } ?? false
    }

    private func confirm(eventCount: Int) async throws -> Bool {
        do {
            return try await store.markComplete(runID, eventCount: eventCount, at: UTCTime.now())
        } catch {
            throw IngestError.storage(runID: runID, reason: error.localizedDescription)
        }
    }

    private func connect(_ path: String, resumingAfter resumeID: String, terminal: Bool) async throws -> ConnectionEnding {
        var request = HTTPClientRequest(url: options.baseURL + path)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let key = options.apiKey { request.headers.add(name: "X-API-Key", value: key) }
        if !resumeID.isEmpty { request.headers.add(name: "Last-Event-ID", value: resumeID) }
        let response: HTTPClientResponse
        do {
            response = try await options.redirects.execute(request, on: client, timeout: .hours(12))
        } catch let refused as RedirectRefused {
            throw IngestError.redirected(runID: runID, refused)
        }
        let status = Int(response.status.code)
        guard status == 200 else {
            let body = try? await response.body.collect(upTo: 16 * 1024)
            let message = body.map { Self.errorMessage(in: String(buffer: $0)) } ?? response.status.reasonPhrase
            if status == 429 || status >= 500 {
                var ending = ConnectionEnding(kind: .failed("HTTP \(status) \(message)"))
                ending.retryAfter = response.headers.first(name: "Retry-After").flatMap { Backoff.retryAfter($0) }
                return ending
            }
            throw IngestError.rejected(runID: runID, status: status, message: message)
        }
        let activity = StreamActivity(terminal: terminal)
        return try await withThrowingTaskGroup(of: ConnectionEnding?.self) { group in
            group.addTask { try await read(response.body, resumingAfter: resumeID, activity: activity) }
            group.addTask {
                try await activity.waitForIdleAfterTerminal(options.confirmIdle)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            // Idle after the terminal event: the reader, cancelled, returns what it read.
            let reader = try await group.next()
            var ending = (reader ?? nil) ?? ConnectionEnding(kind: .idleAfterTerminal)
            ending.kind = .idleAfterTerminal
            return ending
        }
    }

    /// Reads a response body into the writer until it ends, fails, or the reading task is cancelled.
    private func read(_ body: HTTPClientResponse.Body, resumingAfter resumeID: String, activity: StreamActivity)
        async throws -> ConnectionEnding
    {
        var decoder = StreamDecoder(runID: runID, lastEventID: resumeID)
        var ending = ConnectionEnding(kind: .closed)
        do {
            for try await buffer in body {
                let chunk = buffer.withUnsafeReadableBytes { decoder.decode($0, receivedAt: UTCTime.now()) }
                ending.sawTerminal = ending.sawTerminal || chunk.sawTerminal
                if !chunk.refused.isEmpty {
                    ending.refused += chunk.refused.count
                    counters.refused.add(chunk.refused.count, ordering: .relaxed)
                    try await keepRefused(chunk.refused)
                }
                if !chunk.events.isEmpty {
                    ending.received += chunk.events.count
                    counters.received.add(chunk.events.count, ordering: .relaxed)
                    activity.received(terminal: ending.sawTerminal)
                    try await store(chunk.events)
                }
                if decoder.isOverMessageLimit {
                    throw IngestError.messageTooLarge(runID: runID, bytes: decoder.parser.pendingBytes)
                }
            }
        } catch let error as IngestError {
            throw error
        } catch {
            // Cancelled: by the caller (which checks for itself) or because the stream went idle.
            ending.kind = Task.isCancelled ? .idleAfterTerminal : .failed("\(error)")
        }
        ending.reconnectionTime = decoder.parser.reconnectionTime.map { Backoff.reconnectionTime(milliseconds: $0) }
        return ending
    }

    private func keepRefused(_ messages: [RefusedMessage]) async throws {
        do {
            try await store.keepRefused(messages)
        } catch {
            throw IngestError.storage(runID: runID, reason: error.localizedDescription)
        }
    }

    private func store(_ events: [RawEvent]) async throws {
        do {
            try await writer.submit(events, of: runID)
        } catch {
            throw IngestError.storage(runID: runID, reason: error.localizedDescription)
        }
    }

    /// The `message` of a JSON error body (`{"error":{"message":...}}` or `{"message":...}`), else the text.
    private static func errorMessage(in body: String) -> String {
        let json = try? JSONValue.parse(body)
        let message = json?["error"]?["message"]?.stringValue ?? json?["message"]?.stringValue
            ?? json?["error"]?.stringValue ?? body
        return String(message.prefix(200)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// When a connection last dispatched a message and whether the run is terminal, shared by the
/// reading task and the one that closes a stream left idle after the terminal event.
private final class StreamActivity: Sendable {
    private let state: Mutex<(terminal: Bool, lastMessage: ContinuousClock.Instant)>

    init(terminal: Bool) {
        state = Mutex((terminal, .now))
    }

    func received(terminal: Bool) {
        state.withLock { state in
            state.terminal = state.terminal || terminal
            state.lastMessage = .now
        }
    }

    /// Returns once the run is terminal and no message came for `idle`; throws when cancelled.
    func waitForIdleAfterTerminal(_ idle: Duration) async throws {
        while true {
            let (terminal, last) = state.withLock { ($0.terminal, $0.lastMessage) }
            let deadline = terminal ? last + idle : .now + idle
            if terminal && deadline <= .now { return }
            try await Task.sleep(until: deadline, clock: .continuous)
        }
    }
}
