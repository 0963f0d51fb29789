// An ingest: many runs streamed at once by a bounded number of workers sharing one HTTP client
// and one grouped writer. Cancelling the task (SIGINT, SIGTERM) stops the workers and still
// flushes everything received, so the next ingest resumes where this one stopped.

import AsyncHTTPClient
import Foundation
import Ledger
import NIOCore
import Synchronization

/// How to reach the Coasty API and how hard to push it.
package struct IngestOptions: Sendable {
    /// The API's base URL, e.g. `https://api.coasty.example` (no trailing slash needed).
    package var baseURL: String
    /// Sent as `X-API-Key`; never printed, logged or stored.
    package var apiKey: String?
    /// Runs streamed at once.
    package var concurrency = 32
    package var backoff = Backoff()
    /// A stream silent for this long is dropped and resumed.
    package var readTimeout: Duration = .seconds(120)
    /// After a run's terminal event, a stream silent this long (keep-alives aside) is closed and
    /// the run's end confirmed by one resume.
    package var confirmIdle: Duration = .seconds(3)
    /// Whether redirects are followed (only within the base URL's origin) or refused.
    package var redirects = RedirectPolicy.refuse
    package var connectTimeout: Duration = .seconds(5)
    /// How often queued events are written even when few are waiting: the most a received event
    /// waits to be stored. Long enough that, with a thousand streams, writes stay large (each
    /// transaction rewrites the row of every run it touches).
    package var flushInterval: Duration = .milliseconds(300)

    package init(baseURL: String, apiKey: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
    }
}

/// Live counts for progress output.
package final class IngestCounters: Sendable {
    package let received = Atomic<Int>(0)
    package let runsDone = Atomic<Int>(0)
    package let runsFailed = Atomic<Int>(0)
    package let reconnects = Atomic<Int>(0)
    /// Messages refused (not valid UTF-8) and kept aside.
    package let refused = Atomic<Int>(0)

    package init() {}
}

/// The result of an ingest.
package struct IngestReport: Sendable, Equatable {
    /// One outcome per run, in the order the runs were given.
    package var runs: [RunIngestOutcome]
    /// What the store did with everything received.
    package var stored: AppendOutcome
    /// True when the ingest was cancelled before every run finished.
    package var interrupted: Bool

    package var failures: [IngestError] { runs.compactMap(\.error) }
}

/// Streams runs into a store.
package struct IngestSession: Sendable {
    package let store: any EventStore
    package let options: IngestOptions
    package let counters = IngestCounters()

    package init(store: any EventStore, options: IngestOptions) {
        self.store = store
        self.options = options
    }

    /// Streams every run until it is terminal or has failed. Returns when all are done or the
    /// calling task is cancelled (then `interrupted` is true); everything received is stored.
    package func run(_ runIDs: [String]) async throws -> IngestReport {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: .milliseconds(Int64(options.connectTimeout.milliseconds)),
            read: .milliseconds(Int64(options.readTimeout.milliseconds)))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, options.concurrency))
        // Our own backoff decides when to try again, bounded by `maxAttempts`.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = RedirectPolicy.clientRedirects
        // Every stream holds a read buffer in flight, one in the response body and a parsed chunk
        // waiting for the writer, so the read size bounds memory per stream: large reads for a few
        // streams, 4 KiB ones when a thousand stream at once (measured: 1,000 streams peak at
        // about 410 MiB with 64 KiB reads, 185 MiB with 4 KiB, at the same events/s).
        let readLimit = min(64 * 1024, max(4 * 1024, 4 * 1024 * 1024 / max(1, options.concurrency)))
        configuration.http1_1ConnectionDebugInitializer = { channel in
            channel.setOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 4096, maximum: readLimit))
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let writer = EventWriter(store: store, maxPending: EventWriter.batchSize(streams: options.concurrency))
        let flushing = Task { [flushInterval = options.flushInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: flushInterval)
                try? await writer.flush()
            }
        }

        var outcomes: [String: RunIngestOutcome] = [:]
        var interrupted = false
        await withTaskGroup(of: RunIngestOutcome?.self) { group in
            var pending = runIDs.makeIterator()
            func startNext() -> Bool {
                guard let runID = pending.next() else { return false }
                let streamer = RunStreamer(
                    runID: runID, client: client, options: options, store: store, writer: writer, counters: counters)
                group.addTask {
                    let outcome = try? await streamer.run()
                    if let outcome {
                        if outcome.complete {
                            counters.runsDone.add(1, ordering: .relaxed)
                        } else {
                            counters.runsFailed.add(1, ordering: .relaxed)
                        }
                    }
                    return outcome
                }
                return true
            }
            for _ in 0..<max(1, options.concurrency) where !startNext() { break }
            while let outcome = await group.next() {
                if let outcome { outcomes[outcome.runID] = outcome } else { interrupted = true }
                if Task.isCancelled {
                    interrupted = true
                    continue
                }
                _ = startNext()
            }
        }
        flushing.cancel()
        try? await client.shutdown()
        try await writer.flush()
        let stored = await writer.totals
        if Task.isCancelled { interrupted = true }
        return IngestReport(
            runs: runIDs.map { outcomes[$0] ?? RunIngestOutcome(runID: $0) }, stored: stored, interrupted: interrupted)
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
