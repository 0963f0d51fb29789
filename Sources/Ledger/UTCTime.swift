// Times in Ledger are Int64 microseconds since 1970-01-01T00:00:00Z. This file converts them to
// and from ISO 8601 text by hand (civil-date arithmetic), which is exact, locale-free and fast
// enough for the projection hot path.

import Foundation

/// ISO 8601 conversions for UTC microsecond timestamps.
package enum UTCTime {
    /// The current time.
    package static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// `2026-11-03T10:15:02.123Z`: millisecond precision, always UTC.
    package static func format(_ micros: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(micros, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `format(micros)`'s UTF-8 bytes to `bytes`.
    static func append(_ micros: Int64, to bytes: inout [UInt8]) {
        let (seconds, subsecond) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            if rest < 0 {
                bytes.append(UInt8(ascii: "-"))
                rest = -rest
            }
            while divisor > 0 {
                bytes.append(UInt8(truncatingIfNeeded: 0x30 + (rest / divisor) % 10))
                divisor /= 10
            }
        }
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(subsecond / 1_000, 3)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff…]]` with `Z`, `±HH:MM` or no zone (taken as UTC).
    /// Returns nil for anything else.
    package static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// The same as `parse(_:)` over UTF-8 bytes.
    package static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func number(_ width: Int) -> Int64? {
            guard i + width <= b.count else { return nil }
            var value: Int64 = 0
            for k in i..<(i + width) {
                let digit = b[k] &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            i += width
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard i < b.count, b[i] == byte else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var micros = days(fromYear: year, month: month, day: day) * 86_400_000_000
        if i == b.count { return micros }
        guard i < b.count, b[i] == 0x54 || b[i] == 0x74 || b[i] == 0x20 else { return nil }
        i += 1
        guard let hour = number(2), expect(0x3A), let minute = number(2), hour < 24, minute < 60 else { return nil }
        var second: Int64 = 0
        if expect(0x3A) {
            guard let s = number(2), s < 61 else { return nil }
            second = s
        }
        micros += (hour * 3600 + minute * 60 + second) * 1_000_000
        if expect(0x2E) || expect(0x2C) {
            var scale: Int64 = 100_000
            var digits = 0
            while i < b.count, b[i] &- 0x30 < 10 {
                micros += Int64(b[i] &- 0x30) * scale
                scale /= 10
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
        }
        if i == b.count || expect(0x5A) || expect(0x7A) { return i == b.count ? micros : nil }
        guard i < b.count, b[i] == 0x2B || b[i] == 0x2D else { return nil }
        let sign: Int64 = b[i] == 0x2D ? -1 : 1
        i += 1
        guard let offsetHours = number(2) else { return nil }
        _ = expect(0x3A)
        let offsetMinutes = number(2) ?? 0
        guard i == b.count else { return nil }
        return micros - sign * (offsetHours * 3600 + offsetMinutes * 60) * 1_000_000
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The calendar date of a day count since 1970-01-01 (civil_from_days).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a >= 0 ? a / b : -((-a + b - 1) / b)
        return (q, a - q * b)
    }
}
