import EagleCore

/// Everything that decides a training run besides the data and the initial weights. Defaults are the reference's
/// (SPEC §10): 2 sequences per step, 40 epochs, its WarmupDecayLR schedule, AdamW β 0.9/0.95, clip 0.5.
public struct TrainingOptions: Sendable, Equatable {
    public var ttt: TTTOptions
    public var batching: Batching
    public var epochs: Int
    /// Stop after this many optimizer steps (the schedule still sees the full run's length).
    public var maxSteps: Int?
    public var schedule: LearningRateSchedule
    public var adam: AdamWOptions
    public var seed: UInt64
    public var shuffle: Bool
    /// An explicit sequence order for one epoch (parity tests); overrides shuffling.
    public var order: [Int]?
    /// Validate every this many optimizer steps (0: at each epoch end only); also at the end.
    public var validateEvery: Int
    /// Write the checkpoint every this many optimizer steps (0: at each epoch end only); also at the end.
    public var checkpointEvery: Int
    public var threads: Int

    public init(ttt: TTTOptions = TTTOptions(), batching: Batching = .sequences(2), epochs: Int = 40, maxSteps: Int? = nil,
                schedule: LearningRateSchedule = .reference(), adam: AdamWOptions = AdamWOptions(), seed: UInt64 = 42,
                shuffle: Bool = true, order: [Int]? = nil, validateEvery: Int = 0, checkpointEvery: Int = 0,
                threads: Int = System.coreCount) {
        self.ttt = ttt
        self.batching = batching
        self.epochs = epochs
        self.maxSteps = maxSteps
        self.schedule = schedule
        self.adam = adam
        self.seed = seed
        self.shuffle = shuffle
        self.order = order
        self.validateEvery = validateEvery
        self.checkpointEvery = checkpointEvery
        self.threads = threads
    }

    func validate(sampleCount: Int) throws(DraftTrainingError) {
        try ttt.validate()
        switch batching {
        case .sequences(let n): guard n >= 1 else { throw .options("sequences per step must be ≥ 1, got \(n)") }
        case .tokens(let n): guard n >= 1 else { throw .options("the token budget must be ≥ 1, got \(n)") }
        }
        guard epochs >= 1 else { throw .options("epochs must be ≥ 1, got \(epochs)") }
        if let m = maxSteps, m < 1 { throw .options("max steps must be ≥ 1, got \(m)") }
        guard sampleCount >= 1 else { throw .options("no training samples") }
        if let order {
            guard !order.isEmpty else { throw .options("the explicit order is empty") }
            if let bad = order.first(where: { $0 < 0 || $0 >= sampleCount }) {
                throw .options("explicit order names sample \(bad), outside 0..<\(sampleCount)")
            }
        }
        guard adam.beta1 >= 0 && adam.beta1 < 1 && adam.beta2 >= 0 && adam.beta2 < 1 && adam.epsilon > 0 else {
            throw .options("AdamW needs 0 ≤ β < 1 and ε > 0")
        }
        guard threads >= 1 else { throw .options("threads must be ≥ 1") }
    }

    /// The options that decide the math of a run, as recorded in checkpoints; `--resume` requires them equal.
    /// (Thread count, step limit, validation and checkpoint intervals may change; a different thread count changes
    /// reduction orders, so bit-identical continuation needs the same one.)
    public var fingerprint: JSONValue {
        var o = JSONObject()
        o["ttt_steps"] = .int(ttt.steps)
        o["step_weight"] = .double(ttt.stepWeight)
        o["attention"] = .string(ttt.attention.rawValue)
        o["zero_last_position"] = .bool(ttt.zeroLastPosition)
        switch batching {
        case .sequences(let n): o["batching"] = .string("sequences:\(n)")
        case .tokens(let n): o["batching"] = .string("tokens:\(n)")
        }
        o["epochs"] = .int(epochs)
        o["schedule"] = .string(schedule.summary)
        o["adam"] = .string("b1=\(adam.beta1),b2=\(adam.beta2),eps=\(adam.epsilon),wd=\(adam.weightDecay),clip=\(adam.clipNorm.map { "\($0)" } ?? "off")")
        o["seed"] = .string(String(seed))
        o["shuffle"] = .bool(shuffle)
        o["order"] = order.map { .string(SHA256.hexDigest($0.flatMap { i in withUnsafeBytes(of: Int64(i).littleEndian, Array.init) })) } ?? .null
        return .object(o)
    }
}
