/// A zero-initialised, fixed-size fp32 buffer: the storage of parameter, gradient, optimizer-moment and activation
/// arenas. Kernels work on its raw pointer; views are (offset, count) pairs into it.
///
/// Not `Sendable`: a buffer belongs to one trainer, and is shared with worker threads only inside `parallelFor`
/// calls, under that function's rules.
final class FloatBuffer {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        copy(from: values)
    }

    deinit { base.deallocate() }

    func zero() { base.update(repeating: 0, count: count) }

    var array: [Float] { Array(UnsafeBufferPointer(start: base, count: count)) }

    func copy(from values: [Float]) {
        precondition(values.count == count, "buffer size mismatch")
        values.withUnsafeBufferPointer { if let p = $0.baseAddress { base.update(from: p, count: count) } }
    }

    subscript(i: Int) -> Float {
        get { base[i] }
        set { base[i] = newValue }
    }
}

/// A growable scratch buffer: `reserve(n)` returns a pointer to at least `n` floats (contents unspecified after a
/// reallocation). Used for activations whose size depends on the sequence length.
final class ScratchBuffer {
    private(set) var base: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 0
        base = .allocate(capacity: 1)
    }

    deinit { base.deallocate() }

    @discardableResult
    func reserve(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n > capacity {
            base.deallocate()
            base = .allocate(capacity: n)
            base.initialize(repeating: 0, count: n)
            capacity = n
        }
        return base
    }
}
