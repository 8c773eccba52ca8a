import ConsoleKit
import Foundation
import HTTPKit
import Registry

/// The live rollout page: its steps, weights and analyses refreshed in place (`console.js`
/// fetches `?fragment=1` every two seconds), and for operators the commands, each with a
/// reason and a confirmation, recorded through `RolloutAPI` like the API's.
extension ModelPages {
    static let commands: [(action: String, label: String, danger: Bool)] = [
        ("pause", "Pause", false), ("resume", "Resume", false), ("promote", "Promote step", false),
        ("promote-full", "Promote fully", false), ("abort", "Abort", true)
    ]

    func rollout(_ request: Request, _ viewer: Viewer) throws -> Response {
        let name = try request.parameter("name")
        _ = try registry.model(named: name)
        guard let rollout = try store.latest(model: name) else {
            throw RegistryError.notFound("\(name) has no rollout")
        }
        let live = try liveSection(rollout)
        if request.query["fragment"] != nil { return ConsoleLayout.fragment(live) }
        var flash: HTML = ""
        if let said = request.query["said"] { flash = "<p class=\"flash\" id=\"said\">\(said)</p>" }
        if let error = request.query["error"] { flash = "<p class=\"flash error\" id=\"said\">\(error)</p>" }
        let commands = viewer.mayOperate ? commandForms(name, viewer) : ""
        return gate.render(
            ConsolePage(
                title: "Rollout of \(name)",
                body: """
                    \(flash)<p><a href="\(Link.path("models", name))">\(name)</a> · refreshed every 2 s</p>
                    <div id="live" data-live="\(Link.query(Link.path("models", name, "rollout"), [("fragment", "1")]))"\
                     \
                    data-every="2">\(live)</div>\(commands)
                    """), for: viewer)
    }

    /// One reason for whichever command is pressed; each button posts to its own action and asks first.
    private func commandForms(_ name: String, _ viewer: Viewer) -> HTML {
        var buttons = Self.commands.map { command -> HTML in
            """
            <button type="submit" formaction="\(Link.path("models", name, "rollout", command.action))" \
            data-confirm="\(command.label) the rollout of \(name)?"\(command.danger ? HTML(" class=\"danger\"") : "")>\
            \(command.label)</button>
            """
        }
        buttons.append(
            """
            <button type="submit" formaction="\(Link.path("models", name, "rollback"))" class="danger" \
            data-confirm="Roll \(name) back to the version that served before?">Roll back</button>
            """)
        return """
            <section><h2>Commands</h2>
            <form method="post" action="\(Link.path("models", name, "rollout", "pause"))" class="commands">
            <input type="hidden" name="csrf" value="\(viewer.csrf)">
            <label>Reason <input type="text" name="reason" required maxlength="500" \
            placeholder="why (kept in the audit log)"></label>
            <div class="buttons">\(HTML.joined(buttons, separator: "\n"))</div></form>
            <p class="muted">Each asks for a confirmation; the leader applies it on its next pass.</p></section>
            """
    }

    /// What changes while one watches: phase, weight, each step, each event with what it measured.
    func liveSection(_ rollout: RolloutStore.Row) throws -> HTML {
        let state = rollout.state
        let steps = state.steps.enumerated().map { index, step -> HTML in
            let mark: HTML =
                index < state.stepIndex || state.phase == .promoted
                ? "done" : index == state.stepIndex ? "<strong>current</strong>" : ""
            let text: String =
                switch step {
                case .setWeight(let weight): "set canary weight \(weight)%"
                case .analysis(let seconds): "analysis over \(Format.duration(seconds: Double(seconds)))"
                case .shadow(let seconds): "shadow for \(Format.duration(seconds: Double(seconds)))"
                }
            return "<tr><td class=\"num\">\(index + 1)</td><td>\(text)</td><td>\(mark)</td></tr>"
        }
        let events = try store.events(rolloutID: rollout.id).reversed().map { event -> HTML in
            let measured: HTML =
                try event.measured.map {
                    let text = String(decoding: try JSON.encoder.encode($0), as: UTF8.self)
                    return "<details><summary>measured</summary><code>\(text)</code></details>"
                } ?? ""
            return """
                <tr><td data-label="at">\(Format.time(event.at))</td>
                <td class="num" data-label="step">\(event.step + 1)</td>
                <td class="num" data-label="weight">\(event.weight)%</td>
                <td data-label="kind">\(HTML.badge(event.kind))</td>
                <td data-label="detail">\(event.detail)\(measured)</td></tr>
                """
        }
        let weight = Double(max(0, min(100, state.weight)))
        return """
            <section data-phase="\(state.phase.rawValue)"><p>\(rolloutSummary(rollout))</p>
            <svg class="weight" viewBox="0 0 400 18" role="img" aria-label="canary weight \(state.weight)%">\
            <rect class="bar-track" x="0" y="2" width="400" height="14"></rect>\
            <rect class="bar" x="0" y="2" width="\(Int(weight * 4))" height="14"></rect></svg>
            \(rollout.reason.isEmpty ? HTML("") : "<p class=\"muted\">\(rollout.reason)</p>")
            <p class="muted">started \(Format.time(state.startedAt)) · \
            step started \(Format.time(state.stepStartedAt)) \
            · failed analyses \(state.failures)</p></section>
            <section><h2>Steps</h2><table><tbody>\(steps)</tbody></table></section>
            <section><h2>Events and analyses</h2><div class="scroll"><table class="stack"><thead><tr><th>At</th>
            <th class="num">Step</th><th class="num">Weight</th><th>Kind</th><th>Detail</th></tr></thead>
            <tbody id="events">\(events)</tbody></table></div></section>
            """
    }

    func command(_ request: Request, _ viewer: Viewer) throws -> Response {
        let name = try request.parameter("name"), text = try request.parameter("action")
        guard let action = RolloutCommand(rawValue: text), Self.commands.contains(where: { $0.action == text }) else {
            throw HTTPError.notFound("unknown rollout command \(text)")
        }
        let reason = try FormBody(request).required("reason", maxLength: 500)
        return outcome(of: name) {
            try rollouts.awaitOutcome(
                command: try rollouts.record(action, model: name, reason: reason, request, viewer.principal))
        }
    }

    func rollback(_ request: Request, _ viewer: Viewer) throws -> Response {
        let name = try request.parameter("name")
        let reason = try FormBody(request).required("reason", maxLength: 500)
        return outcome(of: name) {
            try rollouts.awaitOutcome(
                command: try rollouts.recordRollback(model: name, to: nil, reason: reason, request, viewer.principal))
        }
    }

    /// Back to the rollout page with what the leader did: applied, still pending, or why it refused.
    private func outcome(of name: String, _ body: () throws -> String?) -> Response {
        let page = Link.path("models", name, "rollout")
        do {
            let outcome = try body() ?? "pending: the leader has not applied it yet"
            return ConsoleLayout.redirect(to: Link.query(page, [("said", outcome)]))
        } catch {
            let message = RegistryService.httpError(error, view: .native)?.message ?? "the command failed"
            return ConsoleLayout.redirect(to: Link.query(page, [("error", message)]))
        }
    }
}
