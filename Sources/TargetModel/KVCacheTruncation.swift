extension KVCache {
    /// Forgets the tokens of `slot` from position `length` on, e.g. the rejected drafts after a speculative
    /// verification pass. Their keys and values stay in memory and are overwritten by the next forward pass, which
    /// must start at `length`. `length` must not exceed the tokens stored (a programmer error otherwise).
    public func truncate(slot: Int, to length: Int) {
        precondition(length >= 0 && length <= lengths[slot], "KV cache slot \(slot): cannot truncate \(lengths[slot]) tokens to \(length)")
        lengths[slot] = length
    }
}
