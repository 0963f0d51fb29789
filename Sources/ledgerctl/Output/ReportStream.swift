// Writes a report row by row as the store reads it, so memory holds a bounded prefetch, never the
// whole result. JSON is still one array, CSV one header; a table takes its column widths from the
// first rows (up to `prefetchRows` rows or `prefetchBytes` of text) and pads later rows to them.

import Foundation
import Synchronization

/// A report being written: rows go out as they are added, in one of the formats.
final class ReportStream: Sendable {
    /// How many rows a table holds back to measure its columns.
    static let prefetchRows = 1_000
    /// How much text a table holds back to measure its columns, whichever limit comes first.
    static let prefetchBytes = 4 << 20
    /// The widest a table pads a column to; a longer cell is printed whole and pushes its line.
    static let widestPadding = 256

    private struct Table {
        var pending: [[Cell]] = []
        var pendingBytes = 0
        /// Set once the header is written; later rows pad to these.
        var widths: [Int]?
        var numeric: [Bool] = []
    }

    private struct State {
        var rows = 0
        var table = Table()
    }

    private let columns: [String]
    private let format: OutputFormat
    private let write: @Sendable (String) -> Void
    private let state = Mutex(State())

    /// A stream of `format` with `columns`, handing its text to `write` (stdout by default).
    init(
        columns: [String], format: OutputFormat,
        write: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }
    ) {
        self.columns = columns
        self.format = format
        self.write = write
    }

    /// Writes `row` (or holds it back while a table measures its columns).
    func add(_ row: [Cell]) {
        state.withLock { state in
            defer { state.rows += 1 }
            switch format {
            case .json:
                write((state.rows == 0 ? "[\n  " : ",\n  ") + ReportWriter.object(columns, row))
            case .ndjson:
                write(ReportWriter.object(columns, row) + "\n")
            case .csv:
                if state.rows == 0 { write(ReportWriter.csvLine(columns)) }
                write(ReportWriter.csvLine(row.map(ReportWriter.plain)))
            case .table:
                guard let widths = state.table.widths else {
                    state.table.pending.append(row)
                    state.table.pendingBytes += row.reduce(0) { $0 + ReportWriter.plain($1).utf8.count }
                    if state.table.pending.count >= Self.prefetchRows || state.table.pendingBytes >= Self.prefetchBytes {
                        flushTable(&state.table)
                    }
                    return
                }
                write(tableLine(row.map { ReportWriter.plain($0).terminalSafe() }, widths, state.table.numeric))
            }
        }
    }

    /// Ends the report: the table's held-back rows, JSON's closing bracket, an empty report's header.
    func finish() {
        state.withLock { state in
            switch format {
            case .json: write(state.rows == 0 ? "[]\n" : "\n]\n")
            case .ndjson: break
            case .csv: if state.rows == 0 { write(ReportWriter.csvLine(columns)) }
            case .table: if state.table.widths == nil { flushTable(&state.table) }
            }
        }
    }

    /// Measures the held-back rows, writes the header and them.
    private func flushTable(_ table: inout Table) {
        let cells = table.pending.map { $0.map { ReportWriter.plain($0).terminalSafe() } }
        let header = columns.map { $0.terminalSafe() }
        var widths = header.map(\.count)
        for row in cells {
            for (index, text) in row.enumerated() { widths[index] = max(widths[index], text.count) }
        }
        widths = widths.map { min($0, Self.widestPadding) }
        table.numeric = columns.indices.map { column in
            table.pending.contains { row in
                switch row[column] {
                case .integer, .real, .money, .seconds: true
                default: false
                }
            }
        }
        var output = tableLine(header, widths, table.numeric)
        for row in cells { output += tableLine(row, widths, table.numeric) }
        write(output)
        table.widths = widths
        table.pending = []
        table.pendingBytes = 0
    }

    private func tableLine(_ values: [String], _ widths: [Int], _ numeric: [Bool]) -> String {
        values.enumerated().map { index, text in
            let padding = String(repeating: " ", count: max(0, widths[index] - text.count))
            return numeric[index] ? padding + text : (index == values.count - 1 ? text : text + padding)
        }.joined(separator: "  ") + "\n"
    }
}
