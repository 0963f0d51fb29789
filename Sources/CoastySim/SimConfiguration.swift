// How a CoastySim instance is set up: where it listens, the seed every run derives from, the
// key clients must send, how many runs exist at start, and how fast run logs grow.

/// The settings of one simulator.
package struct SimConfiguration: Sendable {
    /// The key every `/v1` request must send as `X-API-Key` when none is configured.
    package static let defaultAPIKey = "sim-key"

    /// The address to bind; loopback by default.
    package var host: String
    /// The port to bind; 0 picks a free one (`CoastySim.start()` returns the real one).
    package var port: Int
    /// Every run, id and timestamp is a function of this seed, the run's creation index and its request.
    package var seed: UInt64
    /// The value `X-API-Key` must have.
    package var apiKey: String
    /// Runs created (with seed-chosen machines, tasks and versions) before the server answers.
    package var initialRuns: Int
    /// The number of steps a run plans; requests' `max_steps` and deadlines can end it earlier.
    package var stepsPerRun: ClosedRange<Int>
    /// Wall-clock time between two appends to a run's log; zero makes the script available at once.
    package var stepInterval: Duration
    /// How long a run paused at `awaiting_human` waits before resuming by itself;
    /// zero resumes at once, nil waits for `POST /v1/runs/{id}/resume`.
    package var humanDelay: Duration?
    /// Misbehaviours of the event stream, all off by default.
    package var faults: SimFaults

    /// A configuration; the defaults serve complete runs at once on a free loopback port, without faults.
    package init(
        host: String = "127.0.0.1",
        port: Int = 0,
        seed: UInt64 = 1,
        apiKey: String = SimConfiguration.defaultAPIKey,
        initialRuns: Int = 0,
        stepsPerRun: ClosedRange<Int> = 5...60,
        stepInterval: Duration = .zero,
        humanDelay: Duration? = .zero,
        faults: SimFaults = SimFaults()
    ) {
        self.host = host
        self.port = port
        self.seed = seed
        self.apiKey = apiKey
        self.initialRuns = initialRuns
        self.stepsPerRun = stepsPerRun
        self.stepInterval = stepInterval
        self.humanDelay = humanDelay
        self.faults = faults
    }
}
