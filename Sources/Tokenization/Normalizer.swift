import Foundation

/// The `normalizer` stage: a flat list of steps applied in order to a text segment's UTF-8.
/// Supported: `Sequence`, `Prepend`, `Replace` with a literal `String` pattern, `NFC`.
struct Normalizer: Sendable {
    enum Step: Sendable, Equatable {
        /// Prepends the bytes to a non-empty text (HF `Prepend`).
        case prepend([UInt8])
        /// Replaces every non-overlapping occurrence, left to right (HF `Replace` with a `String` pattern).
        case replace(pattern: [UInt8], content: [UInt8])
        /// Unicode canonical composition.
        case nfc
    }

    let steps: [Step]

    var isIdentity: Bool { steps.isEmpty }

    init(steps: [Step]) {
        self.steps = steps
    }

    init(_ configuration: NormalizerConfiguration?, path: String) throws(TokenizerError) {
        var steps: [Step] = []
        func add(_ c: NormalizerConfiguration) throws(TokenizerError) {
            switch c {
            case .sequence(let list): for item in list { try add(item) }
            case .prepend(let s): steps.append(.prepend(Array(s.utf8)))
            case .replace(.string(let pattern), let content):
                guard !pattern.isEmpty else {
                    throw .unsupported(component: "normalizer", type: "Replace with an empty pattern", path: path)
                }
                steps.append(.replace(pattern: Array(pattern.utf8), content: Array(content.utf8)))
            case .replace(let pattern, _):
                throw .unsupported(component: "normalizer", type: "Replace(\(pattern.typeName))", path: path)
            case .nfc: steps.append(.nfc)
            case .other(let type): throw .unsupported(component: "normalizer", type: type, path: path)
            }
        }
        if let configuration { try add(configuration) }
        self.steps = steps
    }

    /// Normalizes `text` into `out` (replacing its contents), using `scratch` as a second buffer.
    func normalize(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], scratch: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: text)
        for step in steps {
            switch step {
            case .prepend(let prefix):
                if !out.isEmpty { out.insert(contentsOf: prefix, at: 0) }
            case .replace(let pattern, let content):
                guard out.count >= pattern.count, containsByte(out, pattern[0]) else { continue }
                scratch.removeAll(keepingCapacity: true)
                replaceAll(out, pattern, content, into: &scratch)
                swap(&out, &scratch)
            case .nfc:
                // Scalars below U+0300 are all NFC-stable and none combines with a following one (the first
                // combining marks are U+0300...), so text whose bytes are all < 0xCC (the lead byte of U+0300)
                // is already NFC.
                guard out.contains(where: { $0 >= 0xCC }) else { continue }
                let composed = String(decoding: out, as: UTF8.self).precomposedStringWithCanonicalMapping
                out.removeAll(keepingCapacity: true)
                out.append(contentsOf: composed.utf8)
            }
        }
    }

    /// Applies the normalizer to a whole string (for added-token contents, HF's `normalized_cache`).
    func normalize(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var scratch: [UInt8] = []
        var copy = s
        copy.withUTF8 { normalize($0, into: &out, scratch: &scratch) }
        return out
    }
}

private func containsByte(_ a: [UInt8], _ b: UInt8) -> Bool {
    a.withUnsafeBufferPointer { $0.contains(b) }
}

private func replaceAll(_ text: [UInt8], _ pattern: [UInt8], _ content: [UInt8], into out: inout [UInt8]) {
    text.withUnsafeBufferPointer { t in
        pattern.withUnsafeBufferPointer { pat in
            let n = t.count, m = pat.count
            var i = 0
            var copied = 0
            while i + m <= n {
                if t[i] == pat[0] {
                    var k = 1
                    while k < m && t[i + k] == pat[k] { k += 1 }
                    if k == m {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied ..< i]))
                        out.append(contentsOf: content)
                        i += m
                        copied = i
                        continue
                    }
                }
                i += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied ..< n]))
        }
    }
}
