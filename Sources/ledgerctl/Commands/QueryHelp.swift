// What `ledgerctl help query` prints: the language taught by example for audit, billing and
// debugging questions, then every source's columns and types, listed from the catalog itself.

import Query

enum QueryHelp {
    static let text = guide + "\n\n" + columns

    private static let guide = """
        A query starts from a source and passes its rows through stages, joined
        with '|'; a query may span lines:

          runs | where state == "failed" | summarize count() by failure_reason

        SOURCES  runs (a row per run), steps (a row per step), transitions (a row
                 per state a run entered), events (every stored event; its data
                 is JSON).
        STAGES   where CONDITION
                 extend NAME = EXPR, ...       add or replace columns
                 project NAME [= EXPR], ...    keep exactly these columns
                 summarize [NAME =] AGG, ... [by [NAME =] EXPR, ...]
                 sort by EXPR [asc|desc] [nulls first|last], ...  (or order by)
                 take N                        (or limit N)
                 top N by EXPR [asc|desc], ...
        VALUES   "text" or 'text', 42, 1.5, true, false, null; durations 250ms,
                 90s, 5m, 12h, 7d; UTC times 2026-11-01, 2026-11-01T10:00:00Z
                 (other offsets convert to UTC); now(), ago(7d). Money compares
                 in dollars (cost_usd > 1.5), durations in seconds or units
                 (duration_s > 90, duration_s > 5m).
        OPERATORS  == != < <= > >=, and, or, not, x in (a, b), x between a and b,
                 + - * /, contains and startswith (case-insensitive), and
                 data.action.type (a field of an event's JSON data).
        FUNCTIONS  bin(t, 1d) (round down to a multiple), day(t) (the UTC date),
                 lower(s), len(s), coalesce(a, b, ...).
        AGGREGATES count(), countif(p), dcount(x), sum(x), avg(x), min(x),
                 max(x), percentile(x, 95) and p50(x) p90(x) p95(x) p99(x).

        Money prints as dollars, durations as seconds, times as ISO 8601 UTC.
        Rows come in no set order unless the query sorts them (sort, top).
        Every value you write is bound as a parameter, never pasted into SQL.
        --explain prints the SQL and which indexes the database uses, and
        `ledgerctl runs|cost|failures --show-query` prints each report's query.

        Audit: what did the agent do in a run, and who paused it?
          steps | where run_id == "run-refund" | sort by position
                | project at, step, action_type, message
          transitions | where run_id == "run-refund"
                      | project started_at, state, duration_s
          events | where data.message contains "approved"
                 | project run_id, received_at, data.message

        Billing: where does the money go?
          runs | summarize cost = sum(cost_usd) by day = bin(started_at, 1d)
               | sort by day
          steps | where at >= 2026-11-01
                | summarize cost = sum(price_usd), runs = dcount(run_id)
                  by machine_id
          runs | where billing_discrepancy
               | project run_id, steps, reported_steps, cost_usd
          runs | top 10 by cost_usd desc | project run_id, task, cost_usd

        Debugging: what fails, where, and how long do runs wait?
          runs | where state == "failed" and started_at > ago(30d)
               | summarize runs = count(), cost = sum(cost_usd)
                 by failure_reason
               | sort by cost desc
          runs | summarize p95(duration_s), avg(steps),
                 failed = countif(state == "failed") by machine_id
          transitions | where state == "awaiting_human"
                      | summarize pauses = count(), waited = sum(duration_s)
                        by run_id
                      | top 10 by waited desc
          events | where type == "step" and data.action.type == "type"
                 | summarize count() by run_id
        """

    private static var columns: String {
        Catalog.sources.map { source in
            "COLUMNS of \(source.name) (\(source.summary)):\n"
                + source.columns.map { "  \($0.name) \($0.type.rawValue): \($0.summary)" }.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
