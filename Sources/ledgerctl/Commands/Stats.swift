// `ledgerctl stats`: what the store holds and what it costs on disk, as one `stat, value` row
// per figure in every report format.

import ArgumentParser
import Foundation
import Ledger

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the store: events live and archived, bytes by table, compression, oldest and newest run.",
        discussion: """
            Columns: stat, value. Rows: runs, runs_archived, events, events_live, events_archived, \
            archived_stream_bytes (the archived runs' uncompressed streams), archive_bytes, \
            compression_ratio (streams over archives), file_bytes (the database and its WAL; on \
            PostgreSQL the database's size), free_bytes (null on PostgreSQL), one bytes.<name> row \
            per table and index (when this SQLite has dbstat; always on PostgreSQL), \
            oldest_run, oldest_run_at, newest_run, newest_run_at (by when a run's first event arrived).
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() async throws {
        output.print(Self.report(try await store.openStore().statistics()))
    }

    static func report(_ statistics: StoreStatistics) -> Report {
        let ratio =
            statistics.archiveBytes > 0
            ? Cell.text(
                String(format: "%.2f", Double(statistics.archivedStreamBytes) / Double(statistics.archiveBytes)))
            : .null
        var rows: [(String, Cell)] = [
            ("runs", Cell(statistics.runs)), ("runs_archived", Cell(statistics.archivedRuns)),
            ("events", Cell(statistics.liveEvents + statistics.archivedEvents)),
            ("events_live", Cell(statistics.liveEvents)), ("events_archived", Cell(statistics.archivedEvents)),
            ("archived_stream_bytes", .integer(statistics.archivedStreamBytes)),
            ("archive_bytes", .integer(statistics.archiveBytes)), ("compression_ratio", ratio),
            ("file_bytes", .integer(statistics.fileBytes)), ("free_bytes", Cell(statistics.freeBytes)),
        ]
        rows += (statistics.tableBytes ?? []).map { ("bytes.\($0.name)", .integer($0.bytes)) }
        rows += [
            ("oldest_run", Cell(statistics.oldestRun?.runID)),
            ("oldest_run_at", Cell(time: statistics.oldestRun?.firstReceivedAt)),
            ("newest_run", Cell(statistics.newestRun?.runID)),
            ("newest_run_at", Cell(time: statistics.newestRun?.firstReceivedAt)),
        ]
        return Report(columns: ["stat", "value"], rows: rows.map { [.text($0.0), $0.1] })
    }
}
