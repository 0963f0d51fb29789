// A report is named columns and rows of typed cells; the formatters turn it into a table for
// people or into JSON, CSV or NDJSON for programs. Money and times format themselves here so
// every command prints them the same way.

import Foundation
import Ledger

/// One value in a report.
enum Cell: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    /// A floating-point number (averages, ratios), printed in its shortest exact form.
    case real(Double)
    case money(Money)
    /// UTC microseconds, printed as ISO 8601.
    case time(Int64)
    /// Seconds with millisecond precision, from microseconds.
    case seconds(Int64)
    case flag(Bool)
    case null

    init(_ text: String?) { self = text.map(Cell.text) ?? .null }
    init(_ number: Int64?) { self = number.map(Cell.integer) ?? .null }
    init(_ number: Int) { self = .integer(Int64(number)) }
    init(time micros: Int64?) { self = micros.map(Cell.time) ?? .null }
}

/// Rows with named columns, printed in one of the formats of `--format`.
struct Report: Sendable {
    var columns: [String]
    var rows: [[Cell]]
}

/// The output formats every report command takes.
enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, csv, ndjson
}
