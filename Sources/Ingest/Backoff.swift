// Reconnection delays: exponential backoff with full jitter, floored by the server's `retry:`
// field and overridden by a Retry-After header. Attempts reset once a connection makes progress.

import Foundation

/// Exponential backoff with jitter between reconnects of one run's stream.
package struct Backoff: Sendable {
    package var initial: Duration
    package var maximum: Duration
    /// Consecutive failed attempts before a run is given up as unreachable.
    package var maxAttempts: Int

    package init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10), maxAttempts: Int = 8) {
        self.initial = initial
        self.maximum = maximum
        self.maxAttempts = maxAttempts
    }

    /// The delay before attempt `attempt` (1 for the first retry): a uniformly random share of
    /// `initial * 2^(attempt-1)` capped at `maximum`, never less than the stream's `retry:` time.
    package func delay(
        attempt: Int, reconnectionTime: Duration? = nil, using random: inout some RandomNumberGenerator
    ) -> Duration {
        let ceiling = min(maximum, initial * Int(pow(2.0, Double(min(max(attempt - 1, 0), 20)))))
        let jittered = ceiling * Double.random(in: 0.5...1.0, using: &random)
        return max(jittered, reconnectionTime ?? .zero)
    }

    /// The delay a `Retry-After` header asks for: delta-seconds or an HTTP date; nil if unreadable.
    package static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .milliseconds(max(0, Int(date.timeIntervalSince(now) * 1000)))
    }
}
