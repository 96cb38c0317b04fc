/// Keys (after RoPE) and values of every layer for a set of sequences ("slots"). Per layer, slot `s` occupies
/// `[nkv, capacity_s, hd]` at `slotOffsets[s]` of one buffer, so one head's keys are a contiguous `[len, hd]`
/// matrix that BLAS can read. Owned by one forward pass or one generator at a time (not thread-safe).
public final class KVCache {
    public let layerCount: Int
    public let keyValueHeads: Int
    public let headDim: Int
    public let capacities: [Int]
    /// Tokens stored per slot.
    public internal(set) var lengths: [Int]
    let slotOffsets: [Int]
    let keys: [FloatBuffer]
    let values: [FloatBuffer]
    /// All layers share one buffer: a forward pass without generation needs keys only within the current layer.
    let sharedAcrossLayers: Bool

    /// A cache for `capacities.count` sequences of at most `capacities[s]` tokens each.
    public convenience init(configuration c: ModelConfiguration, capacities: [Int]) {
        self.init(configuration: c, capacities: capacities, sharedAcrossLayers: false)
    }

    init(configuration c: ModelConfiguration, capacities: [Int], sharedAcrossLayers: Bool) {
        layerCount = c.layerCount
        keyValueHeads = c.keyValueHeadCount
        headDim = c.headDim
        self.capacities = capacities
        self.sharedAcrossLayers = sharedAcrossLayers
        lengths = Array(repeating: 0, count: capacities.count)
        var offsets: [Int] = []
        var total = 0
        for cap in capacities {
            precondition(cap >= 0, "negative KV cache capacity")
            offsets.append(total)
            total += c.keyValueHeadCount * cap * c.headDim
        }
        slotOffsets = offsets
        let buffers = sharedAcrossLayers ? 1 : c.layerCount
        keys = (0..<buffers).map { _ in FloatBuffer(count: total) }
        values = (0..<buffers).map { _ in FloatBuffer(count: total) }
    }

    /// Keys of `layer`, `slot`, kv head `g`: `[capacity, hd]` row-major.
    @inline(__always)
    func keyBase(layer: Int, slot: Int, head g: Int) -> UnsafeMutablePointer<Float> {
        keys[sharedAcrossLayers ? 0 : layer].pointer + slotOffsets[slot] + g * capacities[slot] * headDim
    }

    @inline(__always)
    func valueBase(layer: Int, slot: Int, head g: Int) -> UnsafeMutablePointer<Float> {
        values[sharedAcrossLayers ? 0 : layer].pointer + slotOffsets[slot] + g * capacities[slot] * headDim
    }

    /// Forgets a slot's tokens so it can hold a new sequence.
    public func reset(slot: Int) { lengths[slot] = 0 }

    /// Bytes held by the cache.
    public var byteCount: Int { (keys.count + values.count) * (keys.first?.count ?? 0) * 4 }
}
