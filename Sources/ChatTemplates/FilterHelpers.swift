/// The attribute getters and the stable sort that `map`, `select*`, `sort`, `unique`, `min`/`max` share.
extension Interpreter {
    typealias Getter = (JinjaValue) throws -> JinjaValue

    /// jinja2's `make_attrgetter`: `"a.b.0"` walks items (then attributes) part by part; digits index lists.
    func attributeGetter(_ attribute: JinjaValue?, postprocess: ((JinjaValue) -> JinjaValue)? = nil,
                         default fallback: JinjaValue? = nil) -> Getter {
        let parts = attributeParts(attribute)
        return { [self] item in
            var v = item
            for part in parts {
                v = try getItem(v, part)
                if let fallback, v.isUndefined { v = fallback }
            }
            return postprocess.map { $0(v) } ?? v
        }
    }

    private func attributeParts(_ attribute: JinjaValue?) -> [JinjaValue] {
        guard let attribute else { return [] }
        guard case .string(let s) = attribute else { return [attribute] }
        return s.split(separator: ".", omittingEmptySubsequences: false).map { part in
            if !part.isEmpty, part.unicodeScalars.allSatisfy({ $0.properties.numericType == .decimal }), let i = Int(part) {
                return .int(i)
            }
            return .string(String(part))
        }
    }

    /// jinja2's `make_multi_attrgetter` (sort keys): `"a,b"` sorts by a then b.
    func multiAttributeGetter(_ attribute: JinjaValue?, caseSensitive: Bool) -> (JinjaValue) throws -> [JinjaValue] {
        let getters: [Getter]
        let post: ((JinjaValue) -> JinjaValue)? = caseSensitive ? nil : ignoreCase
        if case .string(let s)? = attribute {
            getters = s.split(separator: ",", omittingEmptySubsequences: false).map { attributeGetter(.string(String($0)), postprocess: post) }
        } else {
            getters = [attributeGetter(attribute, postprocess: post)]
        }
        return { item in try getters.map { try $0(item) } }
    }

    /// Python's `sorted(items, key=key, reverse=reverse)`: a stable merge sort comparing keys with `<`.
    func pythonSorted(_ items: [JinjaValue], key: (JinjaValue) throws -> [JinjaValue], reverse: Bool) throws -> [JinjaValue] {
        let keyed = try items.map { (key: JinjaValue.array(try key($0)), value: $0) }
        func less(_ a: (key: JinjaValue, value: JinjaValue), _ b: (key: JinjaValue, value: JinjaValue)) throws -> Bool {
            reverse ? try b.key.pythonLess(a.key) : try a.key.pythonLess(b.key)
        }
        func mergeSort(_ xs: ArraySlice<(key: JinjaValue, value: JinjaValue)>) throws -> [(key: JinjaValue, value: JinjaValue)] {
            if xs.count <= 1 { return Array(xs) }
            let mid = xs.startIndex + xs.count / 2
            let left = try mergeSort(xs[..<mid]), right = try mergeSort(xs[mid...])
            var out: [(key: JinjaValue, value: JinjaValue)] = []
            out.reserveCapacity(xs.count)
            var i = 0, j = 0
            while i < left.count && j < right.count {
                if try less(right[j], left[i]) { out.append(right[j]); j += 1 } else { out.append(left[i]); i += 1 }
            }
            out += left[i...]
            out += right[j...]
            return out
        }
        return try mergeSort(keyed[...]).map(\.value)
    }
}
