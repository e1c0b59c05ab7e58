// A signature pad recording the pen's strokes (position, time, force) for the core, which
// renders and stores the image itself; and a camera picker returning JPEG bytes.
import FieldKit
import SwiftUI
import UIKit

struct SignaturePad: View {
    let onDone: (Strokes) -> Void
    @State private var strokes: [[StrokePoint]] = []
    @State private var current: [StrokePoint] = []
    @State private var start = Date()

    var body: some View {
        VStack {
            GeometryReader { geo in
                Canvas { ctx, _ in
                    for s in strokes + [current] {
                        var path = Path()
                        for (i, p) in s.enumerated() {
                            let pt = CGPoint(x: CGFloat(p.x), y: CGFloat(p.y))
                            if i == 0 { path.move(to: pt) } else { path.addLine(to: pt) }
                        }
                        ctx.stroke(path, with: .color(.black), lineWidth: 3)
                    }
                }
                .gesture(DragGesture(minimumDistance: 0)
                    .onChanged { v in
                        current.append(StrokePoint(x: Float(v.location.x), y: Float(v.location.y),
                                                   tMs: Int32(Date().timeIntervalSince(start) * 1000), pressure: 0.5))
                    }
                    .onEnded { _ in strokes.append(current); current = [] })
                .border(.gray)
                HStack {
                    Button("Clear") { strokes = [] }
                    Button("Sign") { onDone(Strokes(width: Int32(geo.size.width), height: Int32(geo.size.height), strokes: strokes)) }
                        .disabled(strokes.isEmpty)
                }.offset(y: geo.size.height + 8)
            }
        }
        .frame(height: 240)
        .padding()
    }
}

struct CameraPicker: UIViewControllerRepresentable {
    let onJpeg: (Data) -> Void
    @Environment(\.dismiss) private var dismiss

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = UIImagePickerController.isSourceTypeAvailable(.camera) ? .camera : .photoLibrary
        picker.delegate = context.coordinator
        return picker
    }
    func updateUIViewController(_ vc: UIImagePickerController, context: Context) {}
    func makeCoordinator() -> Coordinator { Coordinator(self) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let parent: CameraPicker
        init(_ parent: CameraPicker) { self.parent = parent }
        func imagePickerController(_ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            if let image = info[.originalImage] as? UIImage, let jpeg = image.jpegData(compressionQuality: 0.9) { parent.onJpeg(jpeg) }
            parent.dismiss()
        }
    }
}
