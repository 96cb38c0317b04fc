/// Activation arena of one TTT forward/backward pass, sized for `rows` tokens (grown on demand, never shrunk).
/// Shapes with N = rows: per step k the tensors the backward pass reads (steps k ≥ 1 use only their first n_k
/// rows, see `DrafterEngine.StepRows`); shared scratch for the rest.
final class TTTActivations {
    /// Per-step saved tensors.
    final class Step {
        var hin: UnsafeMutablePointer<Float>!       // [N, H] hidden input out_{k−1} at this step's rows (k ≥ 1)
        var emb: UnsafeMutablePointer<Float>!       // [N, H] frozen embedding of x[t+1+k]
        var rstdIn: UnsafeMutablePointer<Float>!    // [N]
        var rstdHidden: UnsafeMutablePointer<Float>!  // [N]
        var u: UnsafeMutablePointer<Float>!         // [N, 2H] = [norm_in(e) ; norm_hidden(h)]
        var q: UnsafeMutablePointer<Float>!         // [nh, N, hd] after RoPE
        var k: UnsafeMutablePointer<Float>!         // [nkv, N, hd] after RoPE
        var v: UnsafeMutablePointer<Float>!         // [nkv, N, hd]
        var rowMax: UnsafeMutablePointer<Float>!    // [nh, N] attention softmax max
        var rowSum: UnsafeMutablePointer<Float>!    // [nh, N] attention softmax sum
        var o: UnsafeMutablePointer<Float>!         // [N, nh·hd] attention output
        var h1: UnsafeMutablePointer<Float>!        // [N, H]
        var rstdPost: UnsafeMutablePointer<Float>!  // [N]
        var y: UnsafeMutablePointer<Float>!         // [N, H]
        var gu: UnsafeMutablePointer<Float>!        // [N, 2I] gate | up
        var out: UnsafeMutablePointer<Float>!       // [N, H] layer output = next hidden input
        var rstdFinal: UnsafeMutablePointer<Float>! // [N]
        var dn: UnsafeMutablePointer<Float>!        // [N, H] ∂loss_k/∂norm(out) from the fused head
    }

    let configuration: DrafterConfiguration
    let step: [Step]
    private var buffers: [ScratchBuffer] = []
    private var rows = -1
    private var training = false

    // Shared (not per step).
    var aux: UnsafeMutablePointer<Float>!      // [N, aux·H]
    var h0: UnsafeMutablePointer<Float>!       // [N, H] = fc(aux)
    var qkv: UnsafeMutablePointer<Float>!      // [N, Dq + 2Dkv] before RoPE
    var act: UnsafeMutablePointer<Float>!      // [N, I]
    var normed: UnsafeMutablePointer<Float>!   // [N, H]
    var headIn: UnsafeMutablePointer<Float>!   // [chunk, H]
    var headDIn: UnsafeMutablePointer<Float>!  // [chunk, H]
    var logits: UnsafeMutablePointer<Float>!   // [chunk, Vd]
    var rowLosses: UnsafeMutablePointer<Double>!  // [chunk]
    var rowHits: UnsafeMutablePointer<Double>!    // [chunk]
    // Backward scratch.
    var dOut: UnsafeMutablePointer<Float>!, dH1: UnsafeMutablePointer<Float>!, dH: UnsafeMutablePointer<Float>!  // [N, H]
    var dY: UnsafeMutablePointer<Float>!       // [N, H]
    var dAct: UnsafeMutablePointer<Float>!     // [N, I]
    var dGU: UnsafeMutablePointer<Float>!      // [N, 2I]
    var dO: UnsafeMutablePointer<Float>!       // [N, Dq]
    var dQ: UnsafeMutablePointer<Float>!       // [nh, N, hd]
    var dKV: UnsafeMutablePointer<Float>!      // [nkv, N, hd]
    var dQKV: UnsafeMutablePointer<Float>!     // [N, Dq + 2Dkv]
    var dU: UnsafeMutablePointer<Float>!       // [N, 2H]
    var dKeys: [UnsafeMutablePointer<Float>] = []    // per step j: [nh, N, hd], per query head
    var dValues: [UnsafeMutablePointer<Float>] = []  // per step j: [nh, N, hd]
    private var doubles: [UnsafeMutablePointer<Double>] = []

    init(configuration: DrafterConfiguration, steps: Int) {
        self.configuration = configuration
        step = (0..<steps).map { _ in Step() }
    }

    deinit { for d in doubles { d.deallocate() } }

    /// Bytes held (for memory reports).
    var bytes: Int { buffers.reduce(0) { $0 + $1.capacity * 4 } }

    /// Makes every buffer hold at least `rows` tokens; backward scratch only when `training`.
    func reserve(rows N: Int, training needGradients: Bool) {
        if N <= rows && (training || !needGradients) { return }
        let newRows = max(N, rows), withGradients = training || needGradients
        let c = configuration
        let H = c.hiddenSize, I = c.intermediateSize, Dq = c.qDim, Dkv = c.kvDim, nh = c.headCount
        let chunk = DraftHeadLoss.chunkRows(draftVocabSize: c.draftVocabSize)
        var next = 0
        func take(_ count: Int) -> UnsafeMutablePointer<Float> {
            if next == buffers.count { buffers.append(ScratchBuffer()) }
            defer { next += 1 }
            return buffers[next].reserve(max(count, 1))
        }
        let n = newRows
        for s in step {
            s.hin = take(n * H); s.emb = take(n * H); s.rstdIn = take(n); s.rstdHidden = take(n); s.u = take(n * 2 * H)
            s.q = take(n * Dq); s.k = take(n * Dkv); s.v = take(n * Dkv); s.rowMax = take(nh * n); s.rowSum = take(nh * n)
            s.o = take(n * Dq); s.h1 = take(n * H); s.rstdPost = take(n); s.y = take(n * H); s.gu = take(n * 2 * I)
            s.out = take(n * H); s.rstdFinal = take(n)
            s.dn = take(withGradients ? n * H : 1)  // always taken, so buffer order is stable
        }
        aux = take(n * c.auxWidth); h0 = take(n * H); qkv = take(n * (Dq + 2 * Dkv)); act = take(n * I); normed = take(n * H)
        headIn = take(chunk * H); headDIn = take(chunk * H); logits = take(chunk * c.draftVocabSize)
        if doubles.isEmpty {
            doubles = [.allocate(capacity: chunk), .allocate(capacity: chunk)]
            rowLosses = doubles[0]
            rowHits = doubles[1]
        }
        if withGradients {
            dOut = take(n * H); dH1 = take(n * H); dH = take(n * H); dY = take(n * H); dAct = take(n * I); dGU = take(n * 2 * I)
            dO = take(n * Dq); dQ = take(n * Dq); dKV = take(n * Dkv); dQKV = take(n * (Dq + 2 * Dkv)); dU = take(n * 2 * H)
            dKeys = step.map { _ in take(n * Dq) }
            dValues = step.map { _ in take(n * Dq) }
        }
        rows = newRows
        training = withGradients
    }
}
