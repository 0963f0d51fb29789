// The in-process face of the simulator, for `ledgerctl sim`, `ledgerctl demo` and the tests:
// start a real HTTP server on a loopback port, create runs, read each run's canonical log, stop.
// The Hummingbird application runs in a task this actor owns; stopping cancels it.

import Foundation
import Hummingbird
import Logging

/// A running (or startable) simulated Coasty API.
///
/// ```swift
/// let sim = CoastySim(configuration: SimConfiguration(seed: 7, initialRuns: 20))
/// let baseURL = try await sim.start()          // http://127.0.0.1:<port>
/// let ids = await sim.runIDs
/// let expected = await sim.log(of: ids[0])     // what a conforming SSE client must dispatch
/// await sim.stop()
/// ```
package actor CoastySim {
    /// The settings this simulator was created with.
    package nonisolated let configuration: SimConfiguration
    let store: RunStore
    private let logger: Logger
    private var startup: Task<URL, any Error>?
    private var server: Task<Void, Never>?
    private var isStopped = false

    /// A simulator with `configuration`; nothing listens until `start()`. Hummingbird logs to
    /// `logger` (silent by default).
    package init(
        configuration: SimConfiguration = SimConfiguration(),
        logger: Logger = Logger(label: "CoastySim", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        self.store = RunStore(configuration: configuration)
        self.logger = logger
    }

    /// Creates the initial runs, binds `host:port` and returns the base URL, e.g.
    /// `http://127.0.0.1:49152` (the real port when the configured one is 0). Calling it again
    /// returns the same URL; a stopped simulator does not start again (`SimError.stopped`).
    package func start() async throws(SimError) -> URL {
        guard !isStopped else { throw .stopped }
        if let startup { return try await Self.value(of: startup) }
        let configuration = configuration
        let router = SimRouter(store: store, configuration: configuration).build()
        let (bound, boundContinuation) = AsyncStream<Result<Int, SimError>>.makeStream()
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "CoastySim"),
            onServerRunning: { channel in
                boundContinuation.yield(.success(channel.localAddress?.port ?? configuration.port))
            },
            logger: logger)
        server = Task { [store] in
            await store.createInitialRuns()
            do {
                try await application.run()
            } catch {
                boundContinuation.yield(.failure(.startFailed(String(describing: error))))
            }
            boundContinuation.finish()
        }
        let startup = Task<URL, any Error> {
            for await outcome in bound {
                let port = try outcome.get()
                guard let url = URL(string: "http://\(Self.urlHost(configuration.host)):\(port)") else {
                    throw SimError.startFailed("'\(configuration.host)' is not a usable host")
                }
                return url
            }
            throw SimError.startFailed("the server stopped before it was listening")
        }
        self.startup = startup
        return try await Self.value(of: startup)
    }

    /// Stops the server: open event streams are cut, run clocks stop, the port is released.
    package func stop() async {
        isStopped = true
        await store.stop()
        server?.cancel()
        await server?.value
        server = nil
    }

    /// The ids of all runs, in creation order (the initial runs first).
    package var runIDs: [String] {
        get async {
            await store.createInitialRuns()
            return await store.runIDs
        }
    }

    /// The run's log so far as a conforming SSE parser dispatches it; empty for an unknown run.
    package func log(of runID: String) async -> [SimEvent] {
        await store.events(of: runID)
    }

    /// The bytes every response writes for each entry of the run's log so far, in order (what a
    /// fault that cuts at a byte offset cuts into); empty for an unknown run.
    package func wireEntries(of runID: String) async -> [[UInt8]] {
        await store.entryBytes(of: runID)
    }

    /// Creates a run exactly as `POST /v1/runs` does and returns its id.
    package func createRun(_ request: CreateRunRequest) async -> String {
        await store.createInitialRuns()
        return await store.create(request)
    }

    /// `POST /v1/runs/{id}/cancel` in process.
    package func cancelRun(_ runID: String) async throws(SimError) {
        _ = try await store.cancel(runID)
    }

    /// `POST /v1/runs/{id}/resume` in process.
    package func resumeRun(_ runID: String) async throws(SimError) {
        _ = try await store.resume(runID)
    }

    private static func value(of startup: Task<URL, any Error>) async throws(SimError) -> URL {
        do {
            return try await startup.value
        } catch let error as SimError {
            throw error
        } catch {
            throw .startFailed(String(describing: error))
        }
    }

    private static func urlHost(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}
