// The words runs are made of: task templates (site, controls, fields, output), agent actions with
// the message and reasoning a real agent would log, failure codes, and the reasons a run needs a human.

/// A kind of task the fleet runs, with the vocabulary its steps use.
struct TaskTemplate: Sendable {
    let task: String
    let site: String
    let pages: [String]
    let targets: [String]
    let fields: [(name: String, value: String)]
    let output: String

    static let catalogue: [TaskTemplate] = [
        TaskTemplate(
            task: "Download the March invoice from the billing portal", site: "https://billing.acme-portal.test",
            pages: ["/login", "/invoices", "/invoices/2025-03"],
            targets: ["Sign in", "Invoices", "March 2025", "Download PDF"],
            fields: [("Email", "ap@acme.test"), ("Password", "••••••••")],
            output: "Downloaded invoice INV-2041.pdf (84 KB)"),
        TaskTemplate(
            task: "Export the weekly sales report as CSV", site: "https://analytics.northwind.test",
            pages: ["/reports", "/reports/sales-weekly", "/export"],
            targets: ["Reports", "Sales (weekly)", "Export", "CSV"],
            fields: [("Date range", "last 7 days"), ("File name", "sales-week-11")],
            output: "Saved sales-week-11.csv (1,204 rows)"),
        TaskTemplate(
            task: "Update the shipping address for order 4411", site: "https://shop.contoso.test",
            pages: ["/orders", "/orders/4411", "/orders/4411/address"],
            targets: ["Orders", "#4411", "Edit address", "Save"],
            fields: [("Street", "12 Harbour Road"), ("Postcode", "EC1A 1BB")],
            output: "Order 4411 now ships to 12 Harbour Road"),
        TaskTemplate(
            task: "Reset the password for jane@acme.test", site: "https://admin.acme-idp.test",
            pages: ["/users", "/users/jane", "/users/jane/security"],
            targets: ["Users", "Jane Doe", "Security", "Reset password"],
            fields: [("Search users", "jane@acme.test"), ("Reason", "locked out")],
            output: "Sent a reset link to jane@acme.test"),
        TaskTemplate(
            task: "File the expense report for the Berlin trip", site: "https://expenses.globex.test",
            pages: ["/reports/new", "/reports/new/items", "/reports/review"],
            targets: ["New report", "Add item", "Attach receipt", "Submit"],
            fields: [("Title", "Berlin offsite"), ("Amount", "412.80")],
            output: "Submitted expense report EXP-7781 (EUR 412.80)"),
        TaskTemplate(
            task: "Check stock for SKU 88-1203 in all warehouses", site: "https://erp.initech.test",
            pages: ["/inventory", "/inventory/search", "/inventory/88-1203"],
            targets: ["Inventory", "Search", "88-1203", "Warehouses"],
            fields: [("SKU", "88-1203"), ("Warehouse", "all")],
            output: "SKU 88-1203: 340 in Leeds, 12 in Rotterdam, 0 in Austin"),
        TaskTemplate(
            task: "Approve pending timesheets for the design team", site: "https://hr.umbrella.test",
            pages: ["/timesheets", "/timesheets/pending", "/timesheets/approve"],
            targets: ["Timesheets", "Pending", "Select all", "Approve"],
            fields: [("Team", "Design"), ("Comment", "approved for week 11")],
            output: "Approved 9 timesheets for Design"),
        TaskTemplate(
            task: "Renew the SSL certificate for status.example.test", site: "https://dns.hooli.test",
            pages: ["/certificates", "/certificates/status.example.test", "/certificates/renew"],
            targets: ["Certificates", "status.example.test", "Renew", "Confirm"],
            fields: [("Validity", "90 days"), ("Contact", "ops@example.test")],
            output: "Certificate renewed until 2025-09-30"),
    ]

    /// The template whose vocabulary a run uses: the catalogue entry with this task text, else one chosen by it.
    static func matching(_ task: String) -> TaskTemplate {
        if let exact = catalogue.first(where: { $0.task == task }) { return exact }
        return catalogue[Int(SeededRandom.fingerprint(task) % UInt64(catalogue.count))]
    }
}

/// One step's action: its JSON, the message the agent logs, and (v4 only) its reasoning.
struct ScriptedAction: Sendable {
    let json: JSONValue
    let message: String
    let reasoning: String

    static func draw(for template: TaskTemplate, using rng: inout SeededRandom) -> ScriptedAction {
        let roll = rng.int(in: 0...99)
        switch roll {
        case 0..<35:
            let target = rng.pick(template.targets)
            return ScriptedAction(
                json: .members([
                    "type": "click", "x": .int(Int64(rng.int(in: 40...1880))), "y": .int(Int64(rng.int(in: 60...1040))),
                    "button": "left", "target": .string(target),
                ]),
                message: "Clicked \(target)",
                reasoning: "The \(target) control is visible and is the next step of the task.")
        case 35..<55:
            let field = rng.pick(template.fields)
            return ScriptedAction(
                json: .members(["type": "type", "text": .string(field.value), "target": .string(field.name)]),
                message: "Typed into \(field.name)",
                reasoning: "The \(field.name) field has focus; entering the value the task needs.")
        case 55..<67:
            let direction = rng.chance(0.75) ? "down" : "up"
            let amount = rng.int(in: 1...8)
            return ScriptedAction(
                json: .members(["type": "scroll", "direction": .string(direction), "amount": .int(Int64(amount))]),
                message: "Scrolled \(direction) \(amount) notches",
                reasoning: "What the task needs is outside the visible part of the page.")
        case 67..<82:
            return ScriptedAction(
                json: .members(["type": "screenshot", "width": 1920, "height": 1080]),
                message: "Took a screenshot",
                reasoning: "Checking the screen to confirm the previous action took effect.")
        case 82..<90:
            let keys = rng.pick([["ctrl", "s"], ["enter"], ["tab"], ["ctrl", "f"], ["escape"]])
            return ScriptedAction(
                json: .members(["type": "key", "keys": .array(keys.map(JSONValue.string))]),
                message: "Pressed \(keys.joined(separator: "+"))",
                reasoning: "A keyboard shortcut is quicker than finding the control.")
        default:
            let millis = rng.int(in: 5...40) * 100
            return ScriptedAction(
                json: .members(["type": "wait", "duration_ms": .int(Int64(millis))]),
                message: "Waited \(millis) ms for the page to settle",
                reasoning: "The page is still loading; acting now would hit a stale element.")
        }
    }
}

/// Failure codes of `result.error`, with a message a person can read.
enum FailureVocabulary {
    static let codes = [
        "element_not_found", "captcha_blocked", "auth_failed", "navigation_timeout", "machine_unreachable",
        "max_steps_exceeded", "model_refusal",
    ]

    static func message(for code: String, template: TaskTemplate, machineID: String, steps: Int) -> String {
        switch code {
        case "element_not_found":
            "Could not find '\(template.targets.last ?? "Submit")' on \(template.site)\(template.pages.last ?? "/")"
        case "captcha_blocked": "A CAPTCHA on \(template.site) blocked the agent"
        case "auth_failed": "Sign-in to \(template.site) was rejected: invalid credentials"
        case "navigation_timeout": "\(template.site)\(template.pages.first ?? "/") did not load within 30 s"
        case "machine_unreachable": "Machine \(machineID) stopped responding"
        case "max_steps_exceeded": "Reached the step limit of \(steps)"
        default: "The model declined to continue: the page asked for payment details"
        }
    }

    /// Errors some agents report as a bare string rather than an object.
    static let plainErrors = [
        "Agent process exited with status 137", "Unexpected error: screenshot pipeline stalled",
        "Browser crashed (renderer out of memory)",
    ]

    static let humanReasons = [
        "A CAPTCHA must be solved on the sign-in page", "A two-factor code is needed from the authenticator app",
        "Confirmation needed before submitting a payment",
    ]

    static let chatter = [
        "Dismissed a cookie banner", "Page is slow to respond; retrying", "Closed an unexpected pop-up",
        "Low confidence locating the next control; re-reading the page", "Download started",
    ]
}
