// A query's rows as a Report: each value printed as its column's type says, so money prints as
// dollars, durations as seconds, times as ISO 8601 and dates as YYYY-MM-DD in every format.

import Ledger
import Query

extension Report {
    init(_ result: QueryRows) {
        self.init(
            columns: result.columns.map(\.name),
            rows: result.rows.map { row in zip(result.columns, row).map { Cell($1, as: $0.type) } })
    }
}

extension Cell {
    init(_ value: SQLValue, as type: ValueType) {
        switch (type, value) {
        case (_, .null): self = .null
        case let (.money, .integer(micros)): self = .money(Money(micros: micros))
        case let (.duration, .integer(micros)): self = .seconds(micros)
        case let (.timestamp, .integer(micros)): self = .time(micros)
        case let (.date, .integer(micros)): self = .text(String(UTCTime.format(micros).prefix(10)))
        case let (.bool, .integer(flag)): self = .flag(flag != 0)
        case let (_, .integer(number)): self = .integer(number)
        case let (_, .real(number)): self = .real(number)
        case let (_, .text(text)): self = .text(text)
        case let (_, .blob(bytes)): self = .text("<\(bytes.count) bytes>")
        }
    }
}
