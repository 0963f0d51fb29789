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
        case (.money, .integer(let micros)): self = .money(Money(micros: micros))
        case (.duration, .integer(let micros)): self = .seconds(micros)
        case (.timestamp, .integer(let micros)): self = .time(micros)
        case (.date, .integer(let micros)): self = .text(String(UTCTime.format(micros).prefix(10)))
        case (.bool, .integer(let flag)): self = .flag(flag != 0)
        case (_, .integer(let number)): self = .integer(number)
        case (_, .real(let number)): self = .real(number)
        case (_, .text(let text)): self = .text(text)
        case (_, .blob(let bytes)): self = .text("<\(bytes.count) bytes>")
        }
    }
}
