// One worker: streams one run's events until the run is terminal and the server ends the
// stream. Every (re)connect resumes from the store's resume point, so drops, resends and
// restarts neither lose nor duplicate events. 401/403/404 end the run at once; everything
// else is retried with backoff, up to a bound.

import AsyncHTTPClient
import Foundation
import Ledger
import NIOCore

/// What happened to one run.
package struct RunIngestOutcome: Sendable, Equatable {
    package var runID: String
    /// Messages received over all connections (duplicates included).
    package var received = 0
    package var connections = 0
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
        var random = SystemRandomNumberGenerator()
        var failures = 0
        var reconnectionTime: Duration?
        var lastError = ""
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
            let resumeID: String
            do {
                try await writer.flush()
                resumeID = try await store.stream(of: runID)?.resumeID ?? ""
            } catch {
                outcome.error = .storage(runID: runID, reason: "\(error.localizedDescription)")
                return outcome
            }
            outcome.connections += 1
            if outcome.connections > 1 { counters.reconnects.add(1, ordering: .relaxed) }
            let attempt: Attempt
            do {
                attempt = try await connect(resumingAfter: resumeID, outcome: &outcome)
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as IngestError {
                outcome.error = error
                return outcome
            } catch {
                attempt = .failed(madeProgress: false, reason: "\(error)", retryAfter: nil)
            }
            switch attempt {
            case .finished:
                return outcome
            case let .failed(madeProgress, reason, retryAfter):
                failures = madeProgress ? 1 : failures + 1
                lastError = reason
                reconnectionTime = retryAfter ?? reconnectionTime
            case let .endedEarly(reconnect):
                failures = 1
                lastError = "the server ended the stream before the run was terminal"
                reconnectionTime = reconnect ?? reconnectionTime
            }
        }
    }

    private enum Attempt {
        /// The run is terminal and the server ended the stream.
        case finished
        /// The server ended the stream cleanly although the run is not terminal.
        case endedEarly(reconnectionTime: Duration?)
        case failed(madeProgress: Bool, reason: String, retryAfter: Duration?)
    }

    private func connect(resumingAfter resumeID: String, outcome: inout RunIngestOutcome) async throws -> Attempt {
        var request = HTTPClientRequest(url: "\(options.baseURL)/v1/runs/\(runID)/events")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let key = options.apiKey { request.headers.add(name: "X-API-Key", value: key) }
        if !resumeID.isEmpty { request.headers.add(name: "Last-Event-ID", value: resumeID) }
        let response = try await client.execute(request, timeout: .hours(12))
        let status = Int(response.status.code)
        guard status == 200 else {
            let body = try? await response.body.collect(upTo: 16 * 1024)
            let message = body.map { Self.errorMessage(in: String(buffer: $0)) } ?? response.status.reasonPhrase
            if status == 429 || status >= 500 {
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { Backoff.retryAfter($0) }
                return .failed(madeProgress: false, reason: "HTTP \(status) \(message)", retryAfter: retryAfter)
            }
            throw IngestError.rejected(runID: runID, status: status, message: message)
        }

        var parser = SSEParser(lastEventID: resumeID)
        var keyer = EventKeyer()
        var terminal = false
        var madeProgress = false
        do {
            for try await buffer in response.body {
                let receivedAt = UTCTime.now()
                var events: [RawEvent] = []
                buffer.withUnsafeReadableBytes { bytes in
                    parser.parse(bytes) { message in
                        if !terminal, EventFacts.terminalState(inData: message.data) != nil { terminal = true }
                        events.append(
                            RawEvent(
                                eventID: keyer.key(for: message), type: message.type, data: message.data,
                                receivedAt: receivedAt, resumeID: message.lastEventID))
                    }
                }
                if !events.isEmpty {
                    madeProgress = true
                    outcome.received += events.count
                    counters.received.add(events.count, ordering: .relaxed)
                    try await store(events)
                }
                if parser.pendingBytes > SSEParser.messageLimit {
                    throw IngestError.messageTooLarge(runID: runID, bytes: parser.pendingBytes)
                }
            }
        } catch let error as IngestError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return .failed(madeProgress: madeProgress, reason: "\(error)", retryAfter: nil)
        }
        let reconnect = parser.reconnectionTime.map { Duration.milliseconds($0) }
        if terminal { return .finished }
        return try await storedRunIsTerminal() ? .finished : .endedEarly(reconnectionTime: reconnect)
    }

    private func store(_ events: [RawEvent]) async throws {
        do {
            try await writer.submit(events, of: runID)
        } catch {
            throw IngestError.storage(runID: runID, reason: error.localizedDescription)
        }
    }

    /// Whether the run's last stored event carries a terminal state: a run that was already
    /// complete before this connection, whose stream the server ends at once.
    private func storedRunIsTerminal() async throws -> Bool {
        try await writer.flush()
        guard let event = try await store.lastEvent(of: runID) else { return false }
        return EventFacts.terminalState(inData: event.data) != nil
    }

    /// The `message` of a JSON error body (`{"error":{"message":...}}` or `{"message":...}`), else the text.
    private static func errorMessage(in body: String) -> String {
        let json = try? JSONValue.parse(body)
        let message = json?["error"]?["message"]?.stringValue ?? json?["message"]?.stringValue
            ?? json?["error"]?.stringValue ?? body
        return String(message.prefix(200)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
