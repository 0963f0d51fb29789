// `ledgerctl query`: runs a query of the pipe language (from the argument, --file or stdin) and
// prints its rows in any format as they are read, or with --explain the SQL and the database's plan. A query error is
// printed with the query line echoed and a caret under the spot, and exits 1.

import ArgumentParser
import Foundation
import Ledger
import Query

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Ask anything of the runs, steps, events and state transitions, in a pipe language.",
        discussion: QueryHelp.text)

    @Argument(help: "The query; omit it to read --file or stdin.")
    var text: String?

    @Option(help: "Read the query from this file.")
    var file: String?

    @Flag(help: "Print the SQL, its bound values and the database's plan (which indexes it uses) instead of rows.")
    var explain = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if text != nil, file != nil { throw ValidationError("give the query as an argument or with --file, not both") }
    }

    func run() async throws {
        let (query, origin) = try source()
        if explain {
            let ledger = try await store.openStore()
            let compiled = try Self.compile(query, origin: origin, for: ledger.engine)
            print(compiled.sql)
            if !compiled.arguments.isEmpty {
                print(
                    "-- bound: "
                        + compiled.arguments.enumerated().map { "?\($0 + 1) = \(Self.describe($1))" }.joined(
                            separator: ", "))
            }
            print("-- plan:")
            for line in try await ledger.queryPlan(sql: compiled.sql, arguments: compiled.arguments) {
                print("   " + line)
            }
        } else {
            try await Self.stream(query, origin: origin, on: try await store.openStore(), output)
        }
    }

    private func source() throws -> (String, String) {
        if let text { return (text, "query") }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("--file: cannot read \(file)")
            }
            return (String(decoding: data, as: UTF8.self), file)
        }
        return (String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self), "stdin")
    }

    /// Runs `query` on the store and returns its rows as a report; a query error is printed
    /// with a caret (naming `origin`) and ends the command with exit code 1.
    static func report(_ query: String, origin: String = "query", on ledger: any ReportingStore) async throws -> Report {
        let compiled = try compile(query, origin: origin, for: ledger.engine)
        return Report(try await ledger.rows(of: compiled))
    }

    /// Runs `query` on the store and writes its rows to stdout in `output`'s format as the
    /// store reads them; a query error is printed as in `report`.
    static func stream(
        _ query: String, origin: String = "query", on ledger: any ReportingStore, _ output: FormatOptions
    ) async throws {
        let compiled = try compile(query, origin: origin, for: ledger.engine)
        let columns = compiled.columns
        let stream = output.stream(columns: columns.map(\.name))
        try await ledger.streamRows(sql: compiled.sql, arguments: compiled.arguments) { row in
            stream.add(zip(columns, row).map { Cell($1, as: $0.type) })
        }
        stream.finish()
    }

    static func compile(_ query: String, origin: String, for engine: SQLEngine) throws -> CompiledQuery {
        do {
            return try QueryLanguage.compile(query, for: engine)
        } catch {
            printError("\(origin):\(error.position): \(error.sentence)\n" + caret(under: error.position, in: query))
            throw CommandExit(code: 1)
        }
    }

    /// The query line at `position`, indented, with a caret under its column.
    static func caret(under position: SourcePosition, in query: String) -> String {
        let lines = query.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        guard lines.indices.contains(position.line - 1) else { return "" }
        let line = lines[position.line - 1]
        let pad = String(line.prefix(position.column - 1).map { $0 == "\t" ? "\t" : " " })
        return "    \(line)\n    \(pad)^"
    }

    private static func describe(_ value: SQLValue) -> String {
        switch value {
        case .null: "null"
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .text(let text): ReportWriter.quoted(text)
        case .blob(let bytes): "<\(bytes.count) bytes>"
        }
    }
}
