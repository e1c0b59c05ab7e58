// A signature pad recording the pen's strokes (position, time, force) for the core, which
// renders and stores the image itself; and a camera picker returning JPEG bytes.
import FieldKit
import SwiftUI
import UIKit

/// The core accepts a pad of 16–4096 points a side, at most 20,000 points, each on the pad
/// (a finger sliding off it still reports positions outside: they are clamped to the edge)
/// with a pressure in 0–1.
struct SignaturePad: View {
    let onDone: (Strokes) -> Void
    @State private var strokes: [[StrokePoint]] = []
    @State private var current: [StrokePoint] = []
    @State private var start = Date()
    @State private var size = CGSize.zero

    static let maxPoints = 20_000
    private var pointCount: Int { strokes.reduce(current.count) { $0 + $1.count } }

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
                .contentShape(Rectangle())
                .gesture(DragGesture(minimumDistance: 0)
                    .onChanged { v in
                        if strokes.isEmpty && current.isEmpty { start = Date() }
                        guard pointCount < Self.maxPoints else { return }
                        current.append(Self.point(at: v.location, in: geo.size, since: start))
                    }
                    .onEnded { _ in
                        if !current.isEmpty { strokes.append(current) }
                        current = []
                    })
                .onAppear { size = geo.size }
                .onChange(of: geo.size) { size = $0 }
            }
            .frame(height: 240)
            .border(.gray)
            HStack {
                Button("Clear") { strokes = []; current = [] }
                Button("Sign") { onDone(Self.strokes(strokes, pad: size)) }
                    .disabled(strokes.isEmpty || size.width < 16 || size.height < 16)
            }
        }
        .padding()
    }

    /// A touch as the core wants it: clamped to the pad, time since the first touch.
    static func point(at location: CGPoint, in pad: CGSize, since start: Date) -> StrokePoint {
        let x = min(max(location.x, 0), pad.width)
        let y = min(max(location.y, 0), pad.height)
        let ms = min(max(Date().timeIntervalSince(start) * 1000, 0), Double(Int32.max))
        return StrokePoint(x: Float(x), y: Float(y), tMs: Int32(ms), pressure: 0.5)
    }

    static func strokes(_ strokes: [[StrokePoint]], pad: CGSize) -> Strokes {
        let side = { (v: CGFloat) in Int32(min(max(v.rounded(), 16), 4096)) }
        return Strokes(width: side(pad.width), height: side(pad.height), strokes: strokes)
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
