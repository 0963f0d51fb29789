// SQL functions SQLite lacks, registered on every connection of a store: `ledger_percentile`,
// the nearest-rank percentile the query language's percentile() and p50…p99 compile to.

import GRDB

/// `ledger_percentile(x, p)`: the value at rank ⌈p/100 · n⌉ (at least 1) of the non-null `x`
/// sorted ascending, so the result is always one of the values (an integer stays an integer);
/// null when there are none. `p` is clamped to 0…100.
struct PercentileAggregate: DatabaseAggregate {
    private var values: [(number: Double, value: DatabaseValue)] = []
    private var percent: Double = 50

    static let function = DatabaseFunction("ledger_percentile", argumentCount: 2, pure: true, aggregate: Self.self)

    mutating func step(_ dbValues: [DatabaseValue]) throws {
        guard let value = dbValues.first, let number = Self.number(value) else { return }
        values.append((number, value))
        if let p = Self.number(dbValues[1]) { percent = min(max(p, 0), 100) }
    }

    func finalize() throws -> (any DatabaseValueConvertible)? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted { $0.number < $1.number }
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1].value
    }

    private static func number(_ value: DatabaseValue) -> Double? {
        switch value.storage {
        case .int64(let number): Double(number)
        case .double(let number): number.isNaN ? nil : number
        default: nil
        }
    }
}
