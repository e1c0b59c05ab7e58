// The SwiftUI sample (mirrors android/sample): today's jobs, the checklist step by step, a
// camera photo, a signature pad, enrolment and a sync button with progress.
// Add these files to an iOS App target in Xcode that depends on the FieldKit package.
import FieldKit
import SwiftUI

@main
struct FieldKitSampleApp: App {
    @StateObject private var model = VisitModel()
    var body: some Scene {
        WindowGroup { ContentView().environmentObject(model) }
    }
}

@MainActor
final class VisitModel: ObservableObject {
    @Published var jobs: [JobSummary] = []
    @Published var selected: JobDetail?
    @Published var checklist: ChecklistView?
    @Published var message: String?
    /// The returns rules' last decision, in both languages with the articles.
    @Published var returnDecision: String?
    @Published var pending: Int64 = 0
    /// nil: not enrolled yet (the sample asks for the server and the dispatcher's code).
    @Published var server: String?
    /// While a sync runs.
    @Published var syncing: SyncProgress?
    private var kit: FieldKitClient?

    init() {
        Task {
            do {
                // The app's one client: opened once here (off the main thread: it opens
                // SQLite), shared by every screen through this model. The sample reads
                // Chinese first, so its refusals and blockers come in Chinese too (an app
                // follows the phone: the client's default is `Locale.current.identifier`).
                let kit = try await Task.detached { try FieldKitClient(directory: try FieldKitClient.defaultDirectory(), databaseKey: try DatabaseKeyStore().key(), config: KitConfig(locale: "zh-CN")) }.value
                self.kit = kit
                server = try await kit.serverAccount()?.serverUrl
                if server == nil, try await kit.todaysJobs().isEmpty {
                    try demoStockTheVan(kit: kit.raw)
                    try await kit.setFeeSchedule(demoFeeSchedule())
                    try kit.raw.receiveWorkOrder(order: demoRepairOrder(number: 1, paid: false))
                }
                await refresh()
                for await _ in kit.jobChanges() { await refresh() }
            } catch { show(error) }
        }
    }

    func refresh() async {
        guard let kit else { return }
        do {
            jobs = try await kit.todaysJobs()
            if let id = selected?.order.id {
                selected = try await kit.job(id)
                checklist = selected?.visit == nil ? nil : try? await kit.checklist(id)
            }
            pending = try await kit.pendingOpCount()
        } catch { show(error) }
    }

    func select(_ id: String?) {
        selected = nil; checklist = nil
        guard let id, let kit else { return }
        run { self.selected = try await kit.job(id); await self.refresh() }
    }

    func advance() {
        guard let kit, let job = selected else { return }
        let id = job.order.id
        run {
            switch job.status {
            case .assigned: _ = try await kit.accept(id)
            case .accepted, .noAccess, .awaitingParts, .signatureRefused, .secondVisitNeeded:
                _ = try await kit.callCustomer(id, CallOutcome(reached: true, confirmed: CallConfirmations(address: true, phone: true, name: true, timeWindow: true, productModel: true), agreed: nil, note: nil))
            case .confirmed: _ = try await kit.startTravel(id)
            case .enRoute: _ = try await kit.arrive(id)
            case .arrived: _ = try await kit.startWork(id)
            case .inProgress: _ = try await kit.complete(id)
            case .paused: _ = try await kit.resume(id)
            default: break
            }
        }
    }

    func answer(_ step: String, _ answer: Answer) { withJob { try await $0.answerStep($1, step, answer) } }
    /// The customer's rating (1–5): the feedback step's evidence.
    func feedback(rating: Int32) { withJob { _ = try await $0.feedback($1, rating: rating) } }
    func photo(_ step: String, jpeg: Data) { withJob { _ = try await $0.addPhoto($1, stepId: step, jpeg: jpeg) } }
    func fees(agreed: Bool) {
        let fees = demoFeeSchedule()
        withJob { _ = try await $0.consentToFees($1, fees, items: fees.items.map(\.code), agreed: agreed) }
    }
    /// Settles the fee (结算): the demo's consented total (all its items) in cash, with a receipt
    /// issued on site when `receiptIssued`, else the invoice follows (due in 3 days).
    func settle(receiptIssued: Bool) {
        let total = demoFeeSchedule().items.reduce(Int64(0)) { $0 + $1.amount }
        withJob { kit, id in
            _ = try await kit.settle(id, Settlement(amount: total, method: .cash, receiptNo: receiptIssued ? "SJ-\(id.prefix(8))" : nil, reason: nil))
        }
    }
    func sign(_ step: String, strokes: Strokes) {
        withJob { kit, id in
            _ = try await kit.summaryForSigning(id)
            _ = try await kit.sign(id, SignatureInput(signerName: "Customer", role: .customer, strokes: strokes, stepId: step, findingId: nil))
        }
    }
    /// A finding step: `note` is recorded as a finding (or the visit's latest unsigned one is
    /// reused) and the customer signs it on the step, naming it, after seeing the summary.
    func signFinding(_ step: String, note: String, strokes: Strokes) {
        withJob { kit, id in
            let unsigned = try await kit.findings(id).last { $0.acknowledgedBy == nil }
            let kind: FindingKind = try await kit.job(id).order.kind == .delivery ? .damagedOnDelivery : .manMadeDamage
            let finding: Finding
            if let u = unsigned { finding = u } else { finding = try await kit.recordFinding(id, kind, note) }
            _ = try await kit.summaryForSigning(id)
            _ = try await kit.sign(id, SignatureInput(signerName: "Customer", role: .customer, strokes: strokes, stepId: step, findingId: finding.id))
        }
    }
    /// A loaner step: every loaner still out is taken back, then the step is answered as the
    /// records now say.
    func loanersBack(_ step: String) {
        withJob { kit, id in
            let loaners = try await kit.loaners(id)
            for l in loaners where l.returnedAtMs == nil { try await kit.returnLoaner(id, loanerId: l.id) }
            _ = try await kit.answerStep(id, step, .choice(value: loaners.isEmpty ? "none_lent" : "collected"))
        }
    }
    /// A return: the findings as the technician records them, the rules' decision shown (zh-CN
    /// and en, citing the article), then recorded: the outcome is never picked by hand.
    func decideReturn(_ step: String, _ found: ReturnFindings) {
        withJob { kit, id in
            let decision = try await kit.returnDecision(id, found)
            self.returnDecision = decision.whyZhCn + "\n" + decision.whyEn
            _ = try await kit.answerStep(id, step, .returnDecided(found: found, decision: decision))
        }
    }
    func enroll(serverUrl: String, code: String) {
        guard let kit else { return }
        run {
            self.server = try await kit.enroll(serverUrl: serverUrl, code: code).serverUrl
            try await self.syncNow(kit)
        }
    }

    /// Push, pull, upload; the toolbar shows the progress.
    func sync() {
        guard let kit, syncing == nil else { return }
        run { try await self.syncNow(kit) }
    }

    private func syncNow(_ kit: FieldKitClient) async throws {
        defer { syncing = nil }
        do {
            _ = try await kit.sync { p in Task { @MainActor in self.syncing = p } }
        } catch let error as FieldKitError {
            if case .Unauthorized = error { server = nil } // revoked: ask for a new code
            throw error
        }
        await refresh()
        let issues = try await kit.syncIssues()
        if let first = issues.first { message = "\(issues.count) changes refused by the server: \(first.reason)" }
    }

    private func withJob(_ body: @escaping (FieldKitClient, String) async throws -> Void) {
        guard let kit, let id = selected?.order.id else { return }
        run { try await body(kit, id) }
    }
    private func run(_ body: @escaping () async throws -> Void) {
        Task { do { try await body(); message = nil } catch { show(error) } }
    }
    private func show(_ error: Error) {
        message = (error as? FieldKitError)?.reasonText ?? "\(error)"
    }
}
