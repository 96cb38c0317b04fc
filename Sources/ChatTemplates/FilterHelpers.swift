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

    /// Python's `sorted(items, key=key, reverse=reverse)`. Results only depend on stability, but the order of
    /// comparisons decides which TypeError a mixed list raises, so lists under 64 items follow CPython's timsort
    /// exactly (`count_run`, then binary insertion); longer ones use a stable merge sort. `reverse` reverses before and
    /// after sorting, as CPython does.
    func pythonSorted(_ items: [JinjaValue], key: (JinjaValue) throws -> [JinjaValue], reverse: Bool) throws -> [JinjaValue] {
        typealias Keyed = (key: JinjaValue, value: JinjaValue)
        var xs: [Keyed] = try items.map { (JinjaValue.array(try key($0)), $0) }
        func less(_ a: Keyed, _ b: Keyed) throws -> Bool { try a.key.pythonLess(b.key) }
        if reverse { xs.reverse() }
        if xs.count < 64 {
            guard xs.count >= 2 else { return xs.map(\.value) }
            // count_run: the longest ascending (non-descending) or strictly descending prefix.
            var run = 2
            if try less(xs[1], xs[0]) {
                while run < xs.count, try less(xs[run], xs[run - 1]) { run += 1 }
                xs[0..<run].reverse()
            } else {
                while run < xs.count, !(try less(xs[run], xs[run - 1])) { run += 1 }
            }
            // binarysort: insert each further item after the equal ones before it.
            for start in run..<xs.count {
                let pivot = xs[start]
                var l = 0, r = start
                while l < r {
                    let p = l + (r - l) / 2
                    if try less(pivot, xs[p]) { r = p } else { l = p + 1 }
                }
                xs.remove(at: start)
                xs.insert(pivot, at: l)
            }
        } else {
            func mergeSort(_ part: ArraySlice<Keyed>) throws -> [Keyed] {
                if part.count <= 1 { return Array(part) }
                let mid = part.startIndex + part.count / 2
                let left = try mergeSort(part[..<mid]), right = try mergeSort(part[mid...])
                var out: [Keyed] = []
                out.reserveCapacity(part.count)
                var i = 0, j = 0
                while i < left.count && j < right.count {
                    if try less(right[j], left[i]) { out.append(right[j]); j += 1 } else { out.append(left[i]); i += 1 }
                }
                out += left[i...]
                out += right[j...]
                return out
            }
            xs = try mergeSort(xs[...])
        }
        if reverse { xs.reverse() }
        return xs.map(\.value)
    }
}
