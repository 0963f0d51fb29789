// Realistic Coasty event streams for the benchmarks, generated deterministically from a seed:
// queued, running, ~300-byte step events with varied actions, the odd progress message, a
// terminal state and a result (design.md, "The stream we read"), framed as SSE like the API.

import Ledger

/// One event of a synthetic run: its SSE id (empty for none), SSE type and data text.
struct SyntheticEvent {
    var id: String
    var type: String
    var data: String
}

enum SyntheticStreams {
    /// A kind of task, with the words its steps use. Texts hold no `"` or `\`, so they go into
    /// JSON as they are.
    private struct Task {
        let site: String
        let pages: [String]
        let targets: [String]
        let fields: [(name: String, value: String)]
        let output: String
    }

    private static let tasks = [
        Task(
            site: "https://billing.acme-portal.test", pages: ["/login", "/invoices", "/invoices/2026-03"],
            targets: ["Sign in", "Invoices", "March 2026", "Download PDF"],
            fields: [("email", "ap@acme.test"), ("invoice", "INV-2026-0042")],
            output: "Downloaded invoice INV-2041.pdf (84 KB)"),
        Task(
            site: "https://analytics.northwind.test", pages: ["/reports", "/reports/sales-weekly", "/export"],
            targets: ["Reports", "Sales (weekly)", "Export", "CSV"],
            fields: [("date_range", "last 7 days"), ("file_name", "sales-week-11")],
            output: "Saved sales-week-11.csv (1,204 rows)"),
        Task(
            site: "https://shop.contoso.test", pages: ["/orders", "/orders/4411", "/orders/4411/address"],
            targets: ["Orders", "Order 4411", "Edit address", "Save"],
            fields: [("street", "12 Harbour Road"), ("postcode", "EC1A 1BB")],
            output: "Order 4411 now ships to 12 Harbour Road"),
        Task(
            site: "https://expenses.globex.test", pages: ["/reports/new", "/reports/new/items", "/reports/review"],
            targets: ["New report", "Add item", "Attach receipt", "Submit"],
            fields: [("title", "Berlin offsite"), ("amount", "412.80")],
            output: "Submitted expense report EXP-7781 (EUR 412.80)"),
    ]

    private static let keys = [
        ("Enter", "submit the form"), ("Tab", "move to the next field"), ("Escape", "close the dialog"),
    ]
    private static let notes = [
        "Page is still loading; waiting for the network to go idle",
        "A cookie banner covers the form; dismissing it first",
        "Two buttons match the label; choosing the one in the main panel",
    ]

    /// The events of run `index`: queued, running, `steps` steps with the odd `message` among
    /// them, a terminal state and a result. Ids are "1", "2", ... within the run.
    static func run(index: Int, seed: UInt64, steps: Int) -> [SyntheticEvent] {
        var random = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD6E8_FEB8_6659_FD93))
        func below(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
        var micros = 1_793_700_000_000_000 + Int64(below(90 * 86_400)) * 1_000_000
        func ts() -> String {
            micros += Int64(400_000 + below(5_000_000))
            return UTCTime.format(micros)
        }
        var events: [SyntheticEvent] = []
        func add(_ type: String, _ data: String) {
            events.append(SyntheticEvent(id: String(events.count + 1), type: type, data: data))
        }

        let task = tasks[index % tasks.count]
        add(
            "state",
            #"{"event":"state","state":"queued","machine_id":"m-\#(index % 16 + 1)","task":"\#(task.site)","message":"Run queued on m-\#(index % 16 + 1)","ts":"\#(ts())"}"#
        )
        add("state", #"{"event":"state","state":"running","message":"Agent started on \#(task.site)","ts":"\#(ts())"}"#)
        for step in 0..<max(0, steps) {
            if below(15) == 0 {
                add("message", #"{"event":"message","message":"\#(notes[below(notes.count)])","ts":"\#(ts())"}"#)
            }
            let page = task.site + task.pages[below(task.pages.count)]
            let target = task.targets[below(task.targets.count)]
            let field = task.fields[below(task.fields.count)]
            let (x, y) = (40 + below(1_400), 60 + below(820))
            let message: String
            let action: String
            switch below(5) {
            case 0:
                message = "Clicked \(target) on \(page)"
                action =
                    #""type":"click","x":\#(x),"y":\#(y),"button":"left","selector":"main button[aria-label='\#(target)']""#
            case 1:
                message = "Typed \(field.value) into the \(field.name) field"
                action =
                    #""type":"type","text":"\#(field.value)","x":\#(x),"y":\#(y),"selector":"form input[name='\#(field.name)']""#
            case 2:
                message = "Scrolled down to bring \(target) into view"
                action = #""type":"scroll","dx":0,"dy":\#(120 * (1 + below(8))),"x":\#(x),"y":\#(y),"selector":"main""#
            case 3:
                message = "Took a screenshot of \(page) to check the result"
                action =
                    #""type":"screenshot","width":1440,"height":900,"format":"png","bytes":\#(90_000 + below(200_000))"#
            default:
                let key = keys[below(keys.count)]
                message = "Pressed \(key.0) to \(key.1) on \(page)"
                action = #""type":"key","keys":["\#(key.0)"],"modifiers":[],"x":\#(x),"y":\#(y)"#
            }
            add(
                "step",
                #"{"event":"step","state":"running","step":\#(step + 1),"message":"\#(message)","action":{\#(action)},"url":"\#(page)","ts":"\#(ts())"}"#
            )
        }

        let outcome = below(20)
        let state = outcome < 16 ? "succeeded" : outcome < 18 ? "failed" : outcome < 19 ? "cancelled" : "timed_out"
        let error =
            switch state {
            case "failed":
                #"{"code":"element_not_found","message":"No element matches main button[aria-label='Save']"}"#
            case "timed_out": #"{"code":"deadline_exceeded","message":"Run passed its 600 s deadline"}"#
            default: "null"
            }
        let output = state == "succeeded" ? #""\#(task.output)""# : "null"
        add(
            "state",
            #"{"event":"state","state":"\#(state)","message":"Run \#(state) after \#(steps) steps","ts":"\#(ts())"}"#)
        add(
            "result",
            #"{"event":"result","state":"\#(state)","result":{"success":\#(state == "succeeded"),"output":\#(output),"error":\#(error),"steps":\#(steps)},"ts":"\#(ts())"}"#
        )
        return events
    }

    /// The events framed as the API sends them: `id` (left out when empty), `event` and `data`
    /// lines and a blank line, with LF line ends, or CRLF when `crlf` is true.
    static func sse(_ events: [SyntheticEvent], crlf: Bool = false) -> [UInt8] {
        let end = crlf ? "\r\n" : "\n"
        var text = ""
        for event in events {
            if !event.id.isEmpty { text += "id: \(event.id)\(end)" }
            text += "event: \(event.type)\(end)data: \(event.data)\(end)\(end)"
        }
        return Array(text.utf8)
    }
}

/// A small, fast, seedable generator (SplitMix64), so benchmark data is the same in every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
