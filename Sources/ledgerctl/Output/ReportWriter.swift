// Renders a whole Report in a format, through ReportStream (which writes row by row). JSON money
// is decimal dollars written from integers (never a Double); times are ISO 8601 UTC strings; the
// table is padded plain text that stays readable in a terminal and a pipe, its controls escaped.

import Foundation
import Ledger
import Synchronization

enum ReportWriter {
    /// The report rendered in `format`, ending with a newline (except an empty table).
    static func render(_ report: Report, as format: OutputFormat) -> String {
        let text = Mutex("")
        let stream = ReportStream(columns: report.columns, format: format) { piece in text.withLock { $0 += piece } }
        for row in report.rows { stream.add(row) }
        stream.finish()
        return text.withLock { $0 }
    }

    /// One row as a JSON object of `columns`.
    static func object(_ columns: [String], _ row: [Cell]) -> String {
        "{" + zip(columns, row).map { "\(quoted($0)):\(jsonValue($1))" }.joined(separator: ",") + "}"
    }

    /// One CSV record, quoted where needed, ending with CRLF.
    static func csvLine(_ fields: [String]) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        return fields.map(field).joined(separator: ",") + "\r\n"
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
