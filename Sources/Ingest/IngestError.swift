// Why ingesting a run stopped. Each names the run and says what to do; the API key is never
// part of a message.

import Foundation

/// A run that could not be streamed to its end.
package enum IngestError: Error, Sendable, Equatable, LocalizedError {
    /// The API refused the request (401, 403, 404): retrying cannot help.
    case rejected(runID: String, status: Int, message: String)
    /// The server could not be reached or kept failing for `attempts` tries in a row.
    case unreachable(runID: String, attempts: Int, lastError: String)
    /// The store failed while saving the run's events.
    case storage(runID: String, reason: String)
    /// The server sent a message larger than `SSEParser.messageLimit`; the stream was stopped.
    case messageTooLarge(runID: String, bytes: Int)
    /// The server answered with a redirect that was not followed (see `RedirectPolicy`).
    case redirected(runID: String, RedirectRefused)
    /// The run id cannot be put into a request (see `RunPath`).
    case invalidRunID(runID: String, problem: String)

    package var runID: String {
        switch self {
        case let .rejected(runID, _, _), let .unreachable(runID, _, _), let .storage(runID, _),
            let .messageTooLarge(runID, _), let .redirected(runID, _), let .invalidRunID(runID, _):
            runID
        }
    }

    package var errorDescription: String? {
        switch self {
        case let .rejected(runID, status, message):
            let hint =
                switch status {
                case 401: "check --api-key or COASTY_API_KEY"
                case 403: "the API key may not read this run"
                case 404: "check the run id and --base-url"
                default: "not retried"
                }
            return "run \(runID): HTTP \(status) \(message) (\(hint))"
        case let .unreachable(runID, attempts, lastError):
            return "run \(runID): gave up after \(attempts) attempts in a row: \(lastError)"
        case let .storage(runID, reason):
            return "run \(runID): could not store events: \(reason)"
        case let .messageTooLarge(runID, bytes):
            return "run \(runID): the server sent a message of more than \(bytes / (1 << 20)) MiB without ending it "
                + "(limit \(SSEParser.messageLimit >> 20) MiB); the events before it are kept"
        case let .redirected(runID, refused):
            return "run \(runID): \(refused.message)"
        case let .invalidRunID(runID, problem):
            return "run id \(String(reflecting: runID)) cannot be requested: \(problem)"
        }
    }
}
