extension KVCache {
    /// Forgets the tokens of `slot` from position `length` on, e.g. the rejected drafts after a speculative
    /// verification pass. Their keys and values stay in memory and are overwritten by the next forward pass, which
    /// must start at `length`. `length` must not exceed the tokens stored (a programmer error otherwise).
    public func truncate(slot: Int, to length: Int) {
        precondition(length >= 0 && length <= lengths[slot], "KV cache slot \(slot): cannot truncate \(lengths[slot]) tokens to \(length)")
        lengths[slot] = length
    }
}

extension KVCache {
    /// Moves entries of `slot` in every layer: entry `from[i]` → `to[i]`, in order (so a move may read an entry
    /// an earlier move wrote only if the caller wants that). After verifying a draft tree, the accepted path's
    /// entries are moved down to consecutive positions before `truncate` drops the rest.
    public func moveEntries(slot: Int, from: [Int], to: [Int]) {
        precondition(from.count == to.count, "moveEntries: \(from.count) sources for \(to.count) destinations")
        for (a, b) in zip(from, to) {
            precondition(a >= 0 && a < lengths[slot] && b >= 0 && b < capacities[slot], "KV cache slot \(slot): cannot move entry \(a) to \(b)")
        }
        for l in 0..<(sharedAcrossLayers ? 1 : layerCount) {
            for g in 0..<keyValueHeads {
                let k = keyBase(layer: l, slot: slot, head: g), v = valueBase(layer: l, slot: slot, head: g)
                for (a, b) in zip(from, to) where a != b {
                    (k + b * headDim).update(from: k + a * headDim, count: headDim)
                    (v + b * headDim).update(from: v + a * headDim, count: headDim)
                }
            }
        }
    }
}

extension KVCache {
    /// Copies `slot`'s stored tokens (every layer and head) from `other`, whose capacity for it may differ.
    func copy(slot: Int, from other: KVCache) {
        let length = other.lengths[slot]
        precondition(length <= capacities[slot] && !sharedAcrossLayers && !other.sharedAcrossLayers, "KV cache copy: does not fit")
        for layer in 0..<layerCount {
            for g in 0..<keyValueHeads {
                keyBase(layer: layer, slot: slot, head: g).update(from: other.keyBase(layer: layer, slot: slot, head: g), count: length * headDim)
                valueBase(layer: layer, slot: slot, head: g).update(from: other.valueBase(layer: layer, slot: slot, head: g), count: length * headDim)
            }
        }
        lengths[slot] = length
    }
}
