// Writes a Report to stdout in the chosen format. JSON numbers for money are decimal dollars
// written from integers (never a Double); times are ISO 8601 UTC strings; the table is padded
// plain text that stays readable in a terminal and in a pipe.

import Foundation
import Ledger

enum ReportWriter {
    /// The report rendered in `format`, ending with a newline (except an empty table).
    static func render(_ report: Report, as format: OutputFormat) -> String {
        switch format {
        case .table: table(report)
        case .json: json(report)
        case .csv: csv(report)
        case .ndjson: report.rows.map { object(report.columns, $0) + "\n" }.joined()
        }
    }

    private static func table(_ report: Report) -> String {
        let cells = report.rows.map { $0.map(plain) }
        var widths = report.columns.map(\.count)
        for row in cells {
            for (index, text) in row.enumerated() { widths[index] = max(widths[index], text.count) }
        }
        let numeric = report.columns.indices.map { column in
            report.rows.contains { row in
                switch row[column] {
                case .integer, .real, .money, .seconds: true
                default: false
                }
            }
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { index, text in
                let padding = String(repeating: " ", count: widths[index] - text.count)
                return numeric[index] ? padding + text : (index == values.count - 1 ? text : text + padding)
            }.joined(separator: "  ")
        }
        var output = line(report.columns) + "\n"
        for row in cells { output += line(row) + "\n" }
        return output
    }

    private static func json(_ report: Report) -> String {
        guard !report.rows.isEmpty else { return "[]\n" }
        return "[\n" + report.rows.map { "  " + object(report.columns, $0) }.joined(separator: ",\n") + "\n]\n"
    }

    private static func object(_ columns: [String], _ row: [Cell]) -> String {
        "{" + zip(columns, row).map { "\(quoted($0)):\(jsonValue($1))" }.joined(separator: ",") + "}"
    }

    private static func csv(_ report: Report) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var output = report.columns.map(field).joined(separator: ",") + "\r\n"
        for row in report.rows { output += row.map { field(plain($0)) }.joined(separator: ",") + "\r\n" }
        return output
    }

    /// A cell as text for tables and CSV: null is empty.
    static func plain(_ cell: Cell) -> String {
        switch cell {
        case let .text(text): text
        case let .integer(number): String(number)
        case let .real(number): number.isFinite ? String(number) : ""
        case let .money(money): money.decimalText
        case let .time(micros): UTCTime.format(micros)
        case let .seconds(micros): seconds(micros)
        case let .flag(value): value ? "yes" : "no"
        case .null: ""
        }
    }

    private static func jsonValue(_ cell: Cell) -> String {
        switch cell {
        case let .text(text): quoted(text)
        case let .integer(number): String(number)
        case let .real(number): number.isFinite ? String(number) : "null"
        case let .money(money): money.decimalText
        case let .time(micros): quoted(UTCTime.format(micros))
        case let .seconds(micros): seconds(micros)
        case let .flag(value): value ? "true" : "false"
        case .null: "null"
        }
    }

    private static func seconds(_ micros: Int64) -> String {
        let millis = (micros + (micros >= 0 ? 500 : -500)) / 1000
        let fraction = String(millis.magnitude % 1000)
        return (millis < 0 ? "-" : "") + "\(millis.magnitude / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String { JSONValue.string(text).text }
}
