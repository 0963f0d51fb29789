// `GET /v1/runs/{id}/events`: streams a run's log as text/event-stream from the entry after
// `Last-Event-ID`, waits for new entries until the run has ended, then ends the response. The
// stream faults (throttle, resend, drop, slow, BOM) are applied here.

import Hummingbird

extension SimRouter {
    func events(_ request: Request, runID: String) async -> Response {
        let faults = configuration.faults
        let number = await store.nextEventsRequestNumber()
        if let status = faults.throttleStatus(forRequestNumber: number) {
            return Response.apiError(
                status, status == 429 ? "rate_limited" : "unavailable", "too many stream requests; retry after 1 s",
                headers: [.retryAfter: "1"])
        }
        let lastEventID = request.headers.value(named: "last-event-id").flatMap { $0.isEmpty ? nil : $0 }
        let start: StreamStart
        do {
            start = try await store.streamStart(of: runID, lastEventID: lastEventID)
        } catch {
            return Response.apiError(error)
        }
        let stream = EventStream(store: store, runID: runID, start: start, faults: faults)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in try await stream.write(to: &writer) })
    }
}

/// One response's walk through a run's log.
private struct EventStream: Sendable {
    /// Thrown to end a response without finishing its body, so the connection closes abruptly.
    private struct ConnectionDropped: Error {}

    let store: RunStore
    let runID: String
    let start: StreamStart
    let faults: SimFaults

    func write(to writer: inout any ResponseBodyWriter) async throws {
        if faults.trickyFraming { try await writer.write(ByteBuffer(bytes: SSEFraming.byteOrderMark)) }
        if faults.resendOnResume, let resent = start.resumedFrom {
            try await send(resent, to: &writer)
        }
        var position = start.position
        while true {
            let batch = try await store.read(runID, from: position)
            if batch.entries.isEmpty {
                if batch.isComplete { break }
                await store.waitForEntries(of: runID, beyond: position)
                try Task.checkCancellation()
                continue
            }
            // Entries go out in one write per batch unless slow streaming asks for one at a time:
            // a write per event would make the server, not the client, the bottleneck in benchmarks.
            var pending = ByteBuffer()
            for entry in batch.entries {
                if faults.isCutPoint(position), await store.claimCut(of: runID, at: position) {
                    if entry.cutsMidMessage { pending.writeBytes(entry.bytes[..<entry.cutPoint]) }
                    if pending.readableBytes > 0 { try await writer.write(pending) }
                    throw ConnectionDropped()
                }
                if faults.writeDelay > .zero {
                    try await send(entry, to: &writer)
                } else {
                    pending.writeBytes(entry.bytes)
                }
                position += 1
            }
            if pending.readableBytes > 0 { try await writer.write(pending) }
        }
        try await writer.finish(nil)
    }

    private func send(_ entry: LogEntry, to writer: inout any ResponseBodyWriter) async throws {
        if faults.writeDelay > .zero { try await Task.sleep(for: faults.writeDelay) }
        try await writer.write(ByteBuffer(bytes: entry.bytes))
    }
}
