// Money is integer micro-dollars end to end; this type formats it for people and for JSON
// without ever passing through floating point.

/// An amount in micro-dollars (1 USD = 1,000,000).
package struct Money: Sendable, Hashable, Comparable, AdditiveArithmetic {
    package var micros: Int64

    package init(micros: Int64) { self.micros = micros }

    /// Parses a dollar amount such as `0.05`, `12`, `$1.234567`; nil for anything else, finer than a micro-dollar, or too large.
    package init?(dollars text: String) {
        var text = Substring(text)
        if text.first == "$" { text = text.dropFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy(\.isASCII), let value = Int64(digits) else {
                return nil
            }
            fraction = value * Int64(Self.pow10(6 - digits.count))
        }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, scaled <= Int64.max - fraction else { return nil }
        micros = scaled + fraction
    }

    package static let zero = Money(micros: 0)
    package static func + (a: Money, b: Money) -> Money { Money(micros: a.micros + b.micros) }
    package static func - (a: Money, b: Money) -> Money { Money(micros: a.micros - b.micros) }
    package static func * (a: Money, count: Int64) -> Money { Money(micros: a.micros * count) }
    package static func < (a: Money, b: Money) -> Bool { a.micros < b.micros }

    /// Dollars with at least two decimals and as many more as the amount needs: `12.35`, `0.045`, `-1.00`.
    package var decimalText: String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 2, fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(magnitude / 1_000_000).\(fraction)"
    }

    private static func pow10(_ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { result, _ in result * 10 }
    }
}
