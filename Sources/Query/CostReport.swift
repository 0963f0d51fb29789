// `ledgerctl cost` as rows: the canned cost query, plus the runs without steps that a query of
// the steps source cannot see, merged so that every run counts in its group (with no steps and
// $0.00) and the `runs` column adds up to the runs of the window.

import Ledger

extension ReportingStore {
    /// Spend per group (`CannedReports.cost(by:window:)`) with the runs without steps merged in,
    /// in the cost report's order.
    package func costRows(by grouping: CostGrouping, window: TimeWindow = .all) async throws -> QueryRows {
        var report = try await rows(of: try QueryLanguage.compile(CannedReports.cost(by: grouping, window: window), for: engine))
        guard let extra = CannedReports.runsWithoutSteps(by: grouping, window: window) else { return report }
        let runsWithoutSteps = try await rows(of: try QueryLanguage.compile(extra, for: engine))
        report.rows = CostReport.merge(runsWithoutSteps.rows, into: report.rows, by: grouping)
        return report
    }
}

/// Merging the rows (key, runs, steps, cost_usd) of runs without steps into the cost report's.
package enum CostReport {
    /// `rows` with each of `extra`'s runs counted in the row of its key (a new row when the key has
    /// none), ordered as the cost report is: by key for days, else by cost (highest first), then
    /// key with nulls last. Keys compare as SQLite and PostgreSQL (COLLATE "C") order them: bytes.
    package static func merge(_ extra: [[SQLValue]], into rows: [[SQLValue]], by grouping: CostGrouping) -> [[SQLValue]] {
        var merged = rows
        var index = Dictionary(rows.enumerated().map { ($1[0], $0) }, uniquingKeysWith: { first, _ in first })
        for row in extra {
            guard case .integer(let runs) = row[1] else { continue }
            if let place = index[row[0]], case .integer(let counted) = merged[place][1] {
                merged[place][1] = .integer(counted + runs)
            } else {
                index[row[0]] = merged.count
                merged.append(row)
            }
        }
        guard merged.count > rows.count else { return merged }
        return merged.sorted { left, right in
            if grouping != .day, let order = descending(left[3], right[3]) { return order }
            return ascendingNullsLast(left[0], right[0])
        }
    }

    /// Whether `left` comes first by cost, highest first; nil when they are equal.
    private static func descending(_ left: SQLValue, _ right: SQLValue) -> Bool? {
        let a = number(left)
        let b = number(right)
        return a == b ? nil : a > b
    }

    private static func number(_ value: SQLValue) -> Double {
        switch value {
        case .integer(let number): Double(number)
        case .real(let number): number
        default: 0
        }
    }

    private static func ascendingNullsLast(_ left: SQLValue, _ right: SQLValue) -> Bool {
        switch (left, right) {
        case (.null, _): false
        case (_, .null): true
        case (.integer(let a), .integer(let b)): a < b
        case (.text(let a), .text(let b)): a.utf8.lexicographicallyPrecedes(b.utf8)
        default: false
        }
    }
}
