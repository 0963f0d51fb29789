// Reconnection delays: exponential backoff with full jitter, floored by the server's `retry:`
// field and overridden by a Retry-After header. Whatever a server asks for is capped, so a hostile
// or broken header can neither trap on overflow nor park a run for ever. Attempts reset once a
// connection stores something new.

import Foundation

/// Exponential backoff with jitter between reconnects of one run's stream.
package struct Backoff: Sendable {
    package var initial: Duration
    package var maximum: Duration
    /// Consecutive failed attempts before a run is given up as unreachable.
    package var maxAttempts: Int
    /// The longest wait a server's `retry:` field or Retry-After header can ask for.
    package var serverDelayLimit: Duration

    package init(
        initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10), maxAttempts: Int = 8,
        serverDelayLimit: Duration = .seconds(120)
    ) {
        self.initial = initial
        self.maximum = maximum
        self.maxAttempts = maxAttempts
        self.serverDelayLimit = serverDelayLimit
    }

    /// The delay before attempt `attempt` (1 for the first retry): a uniformly random share of
    /// `initial * 2^(attempt-1)` capped at `maximum`, never less than the server's asked-for time
    /// (itself capped at `serverDelayLimit`).
    package func delay(
        attempt: Int, reconnectionTime: Duration? = nil, using random: inout some RandomNumberGenerator
    ) -> Duration {
        let ceiling = min(maximum, initial * Int(pow(2.0, Double(min(max(attempt - 1, 0), 20)))))
        let jittered = ceiling * Double.random(in: 0.5...1.0, using: &random)
        return max(jittered, min(reconnectionTime ?? .zero, serverDelayLimit))
    }

    /// The `retry:` field's milliseconds as a duration, whatever their size.
    package static func reconnectionTime(milliseconds: Int) -> Duration {
        .milliseconds(min(max(milliseconds, 0), 86_400_000))
    }

    /// The delay a `Retry-After` header asks for: delta-seconds or an HTTP date; nil if unreadable.
    /// Values beyond a day read as a day (`delay` caps them further).
    package static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let day = 86_400.0
        if !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit) {
            return .seconds(Int(min(Double(trimmed) ?? day, day)))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        let seconds = min(max(date.timeIntervalSince(now), 0), day)
        return .milliseconds(Int(seconds * 1000))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
