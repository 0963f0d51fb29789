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
        let first = await store.claimResponse(of: runID)
        var output = ResponseOutput(budget: first ? faults.cut?.offset : nil)
        if try await walk(into: &output, writer: &writer, firstResponse: first) {
            if output.pending.readableBytes > 0 { try await writer.write(output.pending) }
        } else if first, faults.cut?.abrupt == true, output.budget == 0 {
            throw ConnectionDropped()
        }
        try await writer.finish(nil)
    }

    /// Writes the log from `start`; false when the response must end early (the cut fault's bytes
    /// are written, or end-early reached the first terminal entry).
    private func walk(into output: inout ResponseOutput, writer: inout any ResponseBodyWriter, firstResponse: Bool)
        async throws -> Bool
    {
        if faults.trickyFraming {
            guard try await output.add(SSEFraming.byteOrderMark, flushingTo: &writer, now: true) else { return false }
        }
        if faults.resendOnResume, let resent = start.resumedFrom {
            guard try await send(resent, into: &output, writer: &writer) else { return false }
        }
        var position = start.position
        while true {
            let batch = try await store.read(runID, from: position)
            if batch.entries.isEmpty {
                if batch.isComplete { return true }
                try await output.flush(to: &writer)
                await store.waitForEntries(of: runID, beyond: position)
                try Task.checkCancellation()
                continue
            }
            // Entries go out in one write per batch unless slow streaming asks for one at a time:
            // a write per event would make the server, not the client, the bottleneck in benchmarks.
            for entry in batch.entries {
                if faults.isCutPoint(position), await store.claimCut(of: runID, at: position) {
                    if entry.cutsMidMessage { _ = try await output.add(entry.bytes[..<entry.cutPoint], flushingTo: &writer) }
                    try await output.flush(to: &writer)
                    throw ConnectionDropped()
                }
                guard try await send(entry, into: &output, writer: &writer) else { return false }
                position += 1
                if faults.endEarly, firstResponse, entry.endsRun {
                    try await output.flush(to: &writer)
                    return false
                }
            }
            try await output.flush(to: &writer)
        }
    }

    private func send(_ entry: LogEntry, into output: inout ResponseOutput, writer: inout any ResponseBodyWriter)
        async throws -> Bool
    {
        if faults.writeDelay > .zero { try await Task.sleep(for: faults.writeDelay) }
        return try await output.add(entry.bytes[...], flushingTo: &writer, now: faults.writeDelay > .zero)
    }
}

/// The bytes a response has yet to write, and how many more it may write before the cut fault ends it.
private struct ResponseOutput {
    var pending = ByteBuffer()
    var budget: Int?

    /// Queues `bytes` (writing them at once when `now`); false when the budget ran out with them,
    /// after writing what it allowed.
    mutating func add(
        _ bytes: some Collection<UInt8>, flushingTo writer: inout any ResponseBodyWriter, now: Bool = false
    ) async throws -> Bool {
        guard let left = budget else {
            pending.writeBytes(bytes)
            if now { try await flush(to: &writer) }
            return true
        }
        pending.writeBytes(bytes.prefix(left))
        budget = left - min(left, bytes.count)
        if now || budget == 0 { try await flush(to: &writer) }
        return left > bytes.count
    }

    mutating func flush(to writer: inout any ResponseBodyWriter) async throws {
        guard pending.readableBytes > 0 else { return }
        try await writer.write(pending)
        pending.clear()
    }
}
