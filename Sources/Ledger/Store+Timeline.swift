// One run in detail: its events in stream order with the gap before each step (the timeline),
// its steps with their prices, and every state interval it went through.

import GRDB

/// One event of a run's timeline.
package struct TimelineRow: Sendable, Equatable {
    /// 1-based position in the run's stream.
    package var position: Int
    package var eventID: String
    /// The data's `ts`, else the arrival time.
    package var at: Int64
    /// The data's `event`, else the SSE type.
    package var type: String
    package var state: String?
    package var step: Int64?
    package var message: String?
    /// For a step after the run's first: the time since the previous step.
    package var gapMicros: Int64?
}

/// One step of a run, as the `steps` projection holds it.
package struct StepRow: Sendable, Equatable {
    package var position: Int64
    /// The data's `step` number.
    package var step: Int64?
    package var at: Int64
    /// The data's `action.type`.
    package var actionType: String?
    package var message: String?
    package var gapMicros: Int64?
    /// The price in force at `at`.
    package var price: Money
}

/// One interval a run spent in a state; the current one has no end.
package struct TransitionRow: Sendable, Equatable {
    /// The position of the event that entered the state.
    package var position: Int64
    package var state: String
    package var startedAt: Int64
    package var endedAt: Int64?
    package var durationMicros: Int64?
}

extension TimelineRow {
    /// The row of the event at 1-based `position` of its run's stream, with the gap of its step.
    package init(position: Int, eventID: String, type: String, data: String, receivedAt: Int64, gapMicros: Int64?) {
        let facts = EventFacts(sseType: type, data: data, receivedAt: receivedAt)
        self.init(
            position: position, eventID: eventID, at: facts.at, type: facts.type, state: facts.state,
            step: facts.step, message: facts.message, gapMicros: gapMicros)
    }

    /// How many of `count` events a timeline skips to show only the last `last`.
    package static func skipped(of count: Int, last: Int?) -> Int {
        last.map { count - min(max($0, 0), count) } ?? 0
    }
}

extension LedgerStore {
    /// The events of `runID` in stream order (only the last `last` when given); empty when the run is unknown.
    package func timeline(of runID: String, last: Int? = nil) throws -> [TimelineRow] {
        var rows: [TimelineRow] = []
        try timeline(of: runID, last: last) { rows.append($0) }
        return rows
    }

    /// The events of `runID` like `timeline(of:last:)`, handed to `body` one by one as they are
    /// read, so one event is held at a time (and the run's seqs); returns how many.
    @discardableResult
    package func timeline(of runID: String, last: Int?, _ body: (TimelineRow) throws -> Void) throws -> Int {
        try catchUpProjections()
        return try read("reading the timeline of run \(runID)") { db in
            let gaps = try Row.fetchAll(
                db,
                sql: """
                    SELECT st.position, st.gap_us FROM streams s JOIN steps st ON st.run_key = s.run_key
                    WHERE s.run_id = ? AND st.gap_us IS NOT NULL
                    """,
                arguments: [runID])
            let gapByPosition = Dictionary(
                gaps.map { ($0[0] as Int, $0[1] as Int64) }, uniquingKeysWith: { first, _ in first })
            let count =
                try Int.fetchOne(db, sql: "SELECT event_count FROM streams WHERE run_id = ?", arguments: [runID]) ?? 0
            let skipped = TimelineRow.skipped(of: count, last: last)
            var position = 0
            func show(_ event: Row) throws {
                position += 1
                guard position > skipped else { return }
                try body(
                    TimelineRow(
                        position: position, eventID: event[0], type: event.exactText(1), data: event.exactText(2),
                        receivedAt: event[3], gapMicros: gapByPosition[position]))
            }
            // Archived events come before live ones. Live events are read one by one by seq: an
            // ORDER BY over whole rows would have SQLite sort them in memory, the run whole.
            let archived = try Row.fetchCursor(
                db,
                sql: """
                    SELECT x.event_id, CAST(x.type AS BLOB), CAST(x.data AS BLOB), x.received_at
                    FROM archives a JOIN streams s ON s.run_key = a.run_key, ledger_archive(a.run_key) x
                    WHERE s.run_id = ? ORDER BY x.seq
                    """,
                arguments: [runID])
            while let event = try archived.next() { try show(event) }
            let seqs = try Int64.fetchAll(
                db,
                sql: """
                    SELECT e.seq FROM events e JOIN streams s ON s.run_key = e.run_key
                    WHERE s.run_id = ? ORDER BY e.seq
                    """,
                arguments: [runID])
            let event = try db.cachedStatement(
                sql: "SELECT event_id, CAST(type AS BLOB), CAST(data AS BLOB), received_at FROM events WHERE seq = ?")
            let liveSkipped = max(0, skipped - position)
            position += liveSkipped
            for seq in seqs.dropFirst(liveSkipped) {
                if let row = try Row.fetchOne(event, arguments: [seq]) { try show(row) }
            }
            return max(0, position - skipped)
        }
    }

    /// The steps of `runID` in stream order.
    package func steps(of runID: String) throws -> [StepRow] {
        try catchUpProjections()
        return try read("reading the steps of run \(runID)") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT st.position, st.step, st.at, st.action_type, st.message, st.gap_us, st.price_micros
                    FROM streams s JOIN steps st ON st.run_key = s.run_key
                    WHERE s.run_id = ? ORDER BY st.position
                    """,
                arguments: [runID]
            ).map {
                StepRow(
                    position: $0[0], step: $0[1], at: $0[2], actionType: $0[3], message: $0[4], gapMicros: $0[5],
                    price: Money(micros: $0[6]))
            }
        }
    }

    /// The state intervals of `runID` in the order it entered them.
    package func transitions(of runID: String) throws -> [TransitionRow] {
        try catchUpProjections()
        return try read("reading the state transitions of run \(runID)") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.position, t.state, t.started_at, t.ended_at, t.duration_us
                    FROM streams s JOIN transitions t ON t.run_key = s.run_key WHERE s.run_id = ? ORDER BY t.seq
                    """,
                arguments: [runID]
            ).map {
                TransitionRow(position: $0[0], state: $0[1], startedAt: $0[2], endedAt: $0[3], durationMicros: $0[4])
            }
        }
    }
}
