// The sample's screens: the job list, one job with its next action and its checklist.
import FieldKit
import SwiftUI

struct ContentView: View {
    @EnvironmentObject var model: VisitModel
    var body: some View {
        NavigationStack {
            VStack(alignment: .leading) {
                if let message = model.message { Text(message).foregroundColor(.red) }
                if model.server == nil { EnrolmentForm() }
                if let job = model.selected {
                    JobView(job: job)
                } else {
                    List(model.jobs, id: \.id) { job in
                        Button { model.select(job.id) } label: {
                            VStack(alignment: .leading) {
                                Text("\(job.number) · \(String(describing: job.status)) · \(zoneWord(job.zone))")
                                Text("\(job.customerName) — \(job.address)").font(.caption)
                            }
                        }
                    }
                }
            }
            .toolbar {
                if model.selected != nil { Button("Jobs") { model.select(nil) } }
                if let p = model.syncing {
                    if let f = p.fraction { ProgressView(value: f) } else { ProgressView() }
                } else {
                    Button("Sync (\(model.pending))") { model.sync() }.disabled(model.server == nil)
                }
            }
        }
    }
}

/// The dispatcher gives the technician a server address and a one-time code.
struct EnrolmentForm: View {
    @EnvironmentObject var model: VisitModel
    @State private var url = "https://"
    @State private var code = ""
    var body: some View {
        HStack {
            TextField("Server", text: $url).textInputAutocapitalization(.never)
            TextField("Code", text: $code).textInputAutocapitalization(.characters)
            Button("Enrol") { model.enroll(serverUrl: url, code: code) }.disabled(code.isEmpty)
        }
    }
}

struct JobView: View {
    @EnvironmentObject var model: VisitModel
    let job: JobDetail
    var body: some View {
        List {
            Section {
                Text("\(job.order.number) · \(job.order.productModel)").font(.headline)
                Text(job.order.reportedFault)
                Button("Next (\(String(describing: job.status)))") { model.advance() }
            }
            if let checklist = model.checklist {
                if let decided = model.returnDecision { Section("退换货核定 / Return decision") { Text(decided) } }
                Section("Checklist \(checklist.progress.satisfied)/\(checklist.progress.applicableRequired)") {
                    ForEach(checklist.steps.filter(\.applicable), id: \.id) { step in
                        VStack(alignment: .leading) {
                            Text((step.status == .satisfied ? "✓ " : "") + step.label.zhCn + " / " + step.label.en)
                            if step.id == checklist.next { StepInput(step: step) }
                        }
                    }
                }
            }
        }
    }
}

struct StepInput: View {
    @EnvironmentObject var model: VisitModel
    let step: StepState
    @State private var text = ""
    @State private var camera = false
    @State private var signing = false

    var body: some View {
        switch step.kind {
        case .confirm: Button("Done") { model.answer(step.id, .confirmed) }
        case .yesNo:
            HStack { Button("Yes") { model.answer(step.id, .yesNo(value: true)) }; Button("No") { model.answer(step.id, .yesNo(value: false)) } }
        case let .choice(options):
            // The fee is settled, not ticked: the choice says whether a receipt was issued.
            HStack { ForEach(options, id: \.value) { o in Button(o.label.en) {
                if step.id == "fee_settled" { model.settle(receiptIssued: o.value == "paid_on_site") } else { model.answer(step.id, .choice(value: o.value)) }
            } } }
        case .text, .serial, .numeric:
            HStack {
                TextField("", text: $text)
                Button("Save") {
                    switch step.kind {
                    case .serial: model.answer(step.id, .serial(value: text))
                    case .numeric: model.answer(step.id, .numeric(value: Double(text) ?? .nan))
                    default: model.answer(step.id, .text(value: text))
                    }
                }
            }
        case let .photo(minCount):
            Button("Take photo (\(minCount) needed)") { camera = true }
                .sheet(isPresented: $camera) { CameraPicker { jpeg in model.photo(step.id, jpeg: jpeg) } }
        case .signature:
            Button("Customer signs") { signing = true }
                .sheet(isPresented: $signing) { SignaturePad { strokes in signing = false; model.sign(step.id, strokes: strokes) } }
        case .feeConsent:
            HStack { Button("Agrees to the fees") { model.fees(agreed: true) }; Button("Refuses") { model.fees(agreed: false) } }
        case .preVisitCall: Text("Done by calling the customer (Next).")
        case .feedback:
            HStack { ForEach(1...5, id: \.self) { r in Button("\(r)★") { model.feedback(rating: Int32(r)) } } }
        case .finding:
            HStack {
                TextField("What the anomaly is", text: $text)
                Button("Customer signs") { signing = true }.disabled(text.isEmpty)
            }
            .sheet(isPresented: $signing) { SignaturePad { strokes in signing = false; model.signFinding(step.id, note: text, strokes: strokes) } }
        // A tick on these confirms the fact as it stands: the parts recorded, the copy signed.
        case .partsReview: Button("Parts checked with the customer") { model.answer(step.id, .confirmed) }
        case .customerCopy: Button("Customer's copy handed over") { model.answer(step.id, .confirmed) }
        case .loaners: Button("Take the loaners back and record it") { model.loanersBack(step.id) }
        // The findings, then the rules' decision: one button per common finding in this sample.
        case .returnDecision:
            HStack {
                Button("Faulty, invoice shown: exchange") {
                    model.decideReturn(step.id, ReturnFindings(request: .exchange, proofOfPurchase: true, resalable: false, inspection: Inspection.none, misuse: nil, fault: FaultBy.product))
                }
                Button("Misused (washing)") {
                    model.decideReturn(step.id, ReturnFindings(request: .return, proofOfPurchase: true, resalable: false, inspection: Inspection.none, misuse: .washing, fault: FaultBy.customer))
                }
            }
        case let .other(name): Text("Not supported by this sample: \(name)")
        }
    }
}

/// The response-promise zone of a job's address, zh-CN then en (市区 / 郊区 / 农村).
func zoneWord(_ zone: Zone) -> String {
    switch zone {
    case .urban: return "市区 · Urban"
    case .suburban: return "郊区 · Suburban"
    case .rural: return "农村 · Rural"
    }
}
