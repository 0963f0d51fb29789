// Durations as people type them on a command line: a number (decimals allowed) and a unit,
// `800us`, `250ms`, `1.5s`, `90m`, `12h`, `30d`, or a bare `0`.

import Foundation

extension Duration {
    /// Parses a duration written as a number and a unit (us, ms, s, m, h or d), or `0`; nil for
    /// anything else, negative numbers and more than about 270 years.
    package init?(text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "0" {
            self = .zero
            return
        }
        let units: [(suffix: String, microseconds: Double)] = [
            ("us", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000), ("d", 86_400_000_000),
        ]
        guard let unit = units.first(where: { trimmed.hasSuffix($0.suffix) }),
            let number = Double(trimmed.dropLast(unit.suffix.count)), number >= 0
        else { return nil }
        let microseconds = (number * unit.microseconds).rounded()
        guard microseconds < 1e16 else { return nil }
        self = .microseconds(Int64(microseconds))
    }

    /// The duration in whole microseconds.
    package var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
