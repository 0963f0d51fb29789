// The one error type of CoastySim. API errors map to an HTTP status and the JSON error body
// `{"error":{"code":...,"message":...}}`; the rest concern starting and stopping the server.

/// What can go wrong in the simulator, for clients and for the code that hosts it.
package enum SimError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A create-run body failed validation; the message names the field (HTTP 422).
    case invalidRequest(String)
    /// No run has this id (HTTP 404).
    case runNotFound(String)
    /// The run is not in a state that allows the operation (HTTP 409).
    case conflict(String)
    /// A configuration value (a fault list, a duration) cannot be used; the message names it.
    case invalidConfiguration(String)
    /// The server could not start, e.g. the port is taken.
    case startFailed(String)
    /// The simulator is stopping; open streams end.
    case stopped

    /// One sentence a person can act on.
    package var description: String {
        switch self {
        case .invalidRequest(let message): "invalid request: \(message)"
        case .runNotFound(let runID): "run '\(runID)' does not exist"
        case .invalidConfiguration(let message): "invalid CoastySim configuration: \(message)"
        case .conflict(let message): message
        case .startFailed(let reason): "CoastySim could not start: \(reason)"
        case .stopped: "CoastySim is stopping"
        }
    }

    /// The HTTP status and API error code this error is answered with.
    var httpStatus: (status: Int, code: String) {
        switch self {
        case .invalidRequest: (422, "invalid_request")
        case .runNotFound: (404, "not_found")
        case .conflict: (409, "conflict")
        case .invalidConfiguration, .startFailed, .stopped: (503, "unavailable")
        }
    }

    /// The message of the JSON error body.
    var apiMessage: String {
        switch self {
        case .invalidRequest(let message): message
        default: description
        }
    }
}
