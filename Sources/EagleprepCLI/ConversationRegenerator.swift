import Conversations
import EagleCore
import TargetModel
import Tokenization
import TrainingData

/// Regenerates the assistant turns of a stream of conversations through one `ContinuousBatch` and hands each
/// conversation back, in input order, once all its turns are done.
///
/// A conversation's turns are generated one after the other (a turn's prompt holds the regenerated turns before
/// it), but turns of different conversations share the batch: whenever a slot is free, the first conversation (in
/// input order) with a turn ready takes it. At most `window` conversations are held at once (finished ones wait
/// for the earlier ones to be handed back).
final class ConversationRegenerator {
    struct Finished {
        var conversation: Conversation
        var messages: [JSONObject]
        /// Turns cut at the length limit.
        var truncated: Int
        /// Tokens generated for the conversation (stop tokens included).
        var tokens: Int
    }

    private struct InFlight {
        var result: Finished
        /// Assistant turns still to generate, in order.
        var pending: [Int]
        var generating = false
        var done: Bool { pending.isEmpty && !generating }
    }

    let batch: ContinuousBatch
    let renderer: TemplateRenderer
    let tokenizer: Tokenizer
    let lastTurnOnly: Bool
    let window: Int
    private let emit: (Finished) throws -> Void
    private var inFlight: [InFlight] = []
    /// Sequence number of `inFlight[0]` (request ids are sequence numbers).
    private var first = 0

    init(batch: ContinuousBatch, renderer: TemplateRenderer, tokenizer: Tokenizer, lastTurnOnly: Bool,
         emit: @escaping (Finished) throws -> Void) {
        self.batch = batch
        self.renderer = renderer
        self.tokenizer = tokenizer
        self.lastTurnOnly = lastTurnOnly
        window = max(4 * batch.slots, 8)
        self.emit = emit
    }

    /// Takes the next conversation of the input; generates until fewer than `window` are held.
    func add(_ c: Conversation) throws {
        let turns = c.messages.indices.filter { c.role(at: $0) == "assistant" }
        inFlight.append(InFlight(result: Finished(conversation: c, messages: c.messages, truncated: 0, tokens: 0),
                                 pending: lastTurnOnly ? Array(turns.suffix(1)) : turns))
        try run(whileHolding: window)
    }

    /// Generates everything still held and hands it back.
    func finish() throws { try run(whileHolding: 1) }

    private func run(whileHolding limit: Int) throws {
        try handBack()
        while inFlight.count >= limit {
            try admitReadyTurns()
            for (request, result) in try batch.step() { try complete(request, result) }
            try handBack()
        }
    }

    private func admitReadyTurns() throws {
        for i in inFlight.indices {
            guard batch.freeSlots > 0 else { return }
            guard !inFlight[i].generating, let turn = inFlight[i].pending.first else { continue }
            let r = inFlight[i].result
            let text = try renderer.render(messages: Array(r.messages[..<turn]), tools: r.conversation.tools, addGenerationPrompt: true)
            try batch.admit(GenerationRequest(id: first + i, prompt: tokenizer.encode(text, addSpecialTokens: false),
                                              stream: UInt64(r.conversation.index) << 20 | UInt64(turn)))
            inFlight[i].generating = true
        }
    }

    private func complete(_ request: GenerationRequest, _ result: GenerationResult) throws {
        let i = request.id - first
        let turn = inFlight[i].pending.removeFirst()
        inFlight[i].generating = false
        var ids = result.tokens
        if case .stopToken = result.stopReason { ids.removeLast() } else { inFlight[i].result.truncated += 1 }
        inFlight[i].result.tokens += result.tokens.count
        inFlight[i].result.messages[turn]["content"] = .string(try tokenizer.decode(ids))
    }

    /// Hands back the finished conversations at the head of the input order.
    private func handBack() throws {
        var n = 0
        while n < inFlight.count, inFlight[n].done { n += 1 }
        guard n > 0 else { return }
        for f in inFlight[..<n] { try emit(f.result) }
        inFlight.removeFirst(n)
        first += n
    }
}
