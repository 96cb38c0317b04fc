/// The keys a pipeline file may hold (docs/pipelines.md). Unknown keys are errors naming the key path.
public struct KeySpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case string
        case choice([String])
        case integer(ClosedRange<Int>)
        case number
        /// A number, or one of these words.
        case numberOr([String])
        case bool
        /// A file or directory, relative to the pipeline file unless absolute.
        case path
        /// One path or an array of paths.
        case paths
    }
    public var name: String
    public var kind: Kind
    public var help: String
    /// The key becomes the command option `--name-with-dashes` of the stage's command; false: the runner reads it.
    public var isCommandOption: Bool

    public init(_ name: String, _ kind: Kind, _ help: String, commandOption: Bool = true) {
        self.name = name
        self.kind = kind
        self.help = help
        self.isCommandOption = commandOption
    }

    /// The command-line option this key maps to: `max_new_tokens` → `max-new-tokens`.
    public var optionName: String { name.replacingOccurrences(of: "_", with: "-") }
}

public enum PipelineSchema {
    public static let topLevel: [KeySpec] = [
        KeySpec("model", .path, "The target: a .gguf file or a Hugging Face model folder (required)."),
        KeySpec("out", .path, "Output root: one folder per stage, stamps/, report.md (required)."),
        KeySpec("threads", .integer(1...1024), "Threads for every stage (default: all cores)."),
        KeySpec("date", .string, "The date chat templates see, YYYY-MM-DD (default 2026-01-01, fixed so runs repeat)."),
        KeySpec("description", .string, "Free text, shown at the top of the report."),
        KeySpec("stages", .string, "An object with one object per stage to run (keys: generate, tokenize, vocab, dump, train, eval)."),
        KeySpec("slurm", .string, "An object: job resources for `eagleprep slurm` (docs/scale-out.md); `run` ignores it."),
    ]

    public static func keys(of stage: StageName) -> [KeySpec] {
        switch stage {
        case .generate:
            return [
                KeySpec("input", .paths, "Conversation files (JSON/JSONL, any format tokenize reads) whose assistant turns the target regenerates (required)."),
                KeySpec("format", .choice(["auto", "messages", "sharegpt", "alpaca"]), "Input format (default auto)."),
                KeySpec("max_new_tokens", .integer(1...(1 << 20)), "Longest response per turn, in tokens (default 512)."),
                KeySpec("batch_size", .integer(1...4096), "Conversations decoded together (default 16)."),
                KeySpec("temperature", .number, "0 (default) decodes greedily."),
                KeySpec("top_p", .number, "Nucleus sampling threshold (default 1)."),
                KeySpec("top_k", .integer(0...(1 << 24)), "Keep the K most likely tokens (default 0: all)."),
                KeySpec("seed", .integer(0...Int.max), "Sampling seed (default 0)."),
                KeySpec("last_turn_only", .bool, "Regenerate only the last assistant turn."),
                KeySpec("reply_to_last_user", .bool, "Append an assistant turn to conversations that end with a user turn, so the target writes the reply (default true).", commandOption: false),
                KeySpec("limit", .integer(1...Int.max), "Only the first N conversations (over all inputs).", commandOption: false),
            ]
        case .tokenize:
            return [
                KeySpec("input", .paths, "Conversation files (default: the generate stage's output; required without it)."),
                KeySpec("format", .choice(["auto", "messages", "sharegpt", "alpaca"]), "Input format (default auto)."),
                KeySpec("mask_mode", .choice(["reference", "assistant"]), "Loss mask rule (default reference)."),
                KeySpec("system_prompt", .choice(["reference", "data", "none"]), "System prompt policy (default reference)."),
                KeySpec("max_length", .integer(1...(1 << 24)), "Longest sequence kept, in tokens (default 2048)."),
                KeySpec("truncate", .bool, "Truncate longer sequences instead of dropping them."),
                KeySpec("any_roles", .bool, "Do not require user/assistant alternation."),
                KeySpec("ignore_tools", .bool, "Do not pass tool definitions to the template."),
                KeySpec("drop_duplicates", .bool, "Drop samples whose tokens and loss mask equal an earlier one's (repeated conversations)."),
                KeySpec("shard_size", .integer(1...(1 << 24)), "Samples per token shard (default 4096)."),
            ]
        case .vocab:
            return [
                KeySpec("size", .integer(1...Int(Int32.max)), "Draft vocabulary size (required)."),
                KeySpec("all_tokens", .bool, "Count every position, not only supervised ones."),
                KeySpec("pad", .bool, "With fewer distinct tokens than size, fill with the lowest unused ids."),
                KeySpec("target_vocab_size", .integer(1...Int(Int32.max)), "Target logit width (default: the tokenizer's)."),
            ]
        case .dump:
            return [
                KeySpec("layers", .string, "Aux layers I,J,K (default 2,N/2,N-3)."),
                KeySpec("aux_dtype", .choice(["bf16", "f16", "f32"]), "Aux hidden state storage (default bf16)."),
                KeySpec("signal", .choice(["logits", "hidden"]), "Target signal (default logits)."),
                KeySpec("hidden_dtype", .choice(["bf16", "f16", "f32"]), "Storage of --signal hidden (default bf16)."),
                KeySpec("shard_size", .integer(1...(1 << 20)), "Samples per dump shard (default 1024)."),
                KeySpec("batch_tokens", .integer(1...(1 << 24)), "Tokens per forward pass (default 4096)."),
            ]
        case .train:
            return [
                KeySpec("config", .path, "Drafter config.json (instead of intermediate_size/heads/kv_heads)."),
                KeySpec("intermediate_size", .integer(1...(1 << 20)), "Drafter MLP width (default: the target's)."),
                KeySpec("heads", .integer(1...4096), "Drafter attention heads (default: the target's)."),
                KeySpec("kv_heads", .integer(1...4096), "Drafter key/value heads (default: the target's, or heads)."),
                KeySpec("epochs", .integer(1...1_000_000), "Epochs (default 40)."),
                KeySpec("max_steps", .integer(1...Int.max), "Stop after N optimizer steps."),
                KeySpec("batch_sequences", .integer(1...1_000_000), "Sequences per optimizer step (default 2)."),
                KeySpec("batch_tokens", .integer(1...Int.max), "Instead: sequences up to N tokens per step."),
                KeySpec("schedule", .choice(["reference", "cosine", "constant"]), "Learning-rate schedule (default reference)."),
                KeySpec("lr", .number, "Peak learning rate (default 5e-5)."),
                KeySpec("warmup", .integer(0...Int.max), "Warmup steps."),
                KeySpec("total_steps", .integer(1...Int.max), "Schedule length."),
                KeySpec("min_lr", .number, "Cosine floor."),
                KeySpec("clip", .number, "Gradient-norm clip (default 0.5; 0 = off)."),
                KeySpec("seed", .integer(0...Int.max), "Shuffling and init seed (default 42)."),
                KeySpec("no_shuffle", .bool, "Keep the sample order."),
                KeySpec("validation_fraction", .number, "Hold out this fraction for validation."),
                KeySpec("validate_every", .integer(0...Int.max), "Validate every N steps."),
                KeySpec("checkpoint_every", .integer(0...Int.max), "Checkpoint every N steps (a killed run resumes from the last one)."),
                KeySpec("ttt_steps", .integer(1...64), "Training-time-test steps (default 7)."),
                KeySpec("export_dtype", .choice(["f16", "bf16"]), "Export dtype (default f16)."),
            ]
        case .eval:
            return [
                KeySpec("input", .path, "Held-out prompts (required)."),
                KeySpec("format", .choice(["auto", "messages", "sharegpt", "alpaca"]), "Input format (default auto)."),
                KeySpec("depth", .integer(1...64), "Draft chain (or tree) depth K (default 6)."),
                KeySpec("tree_nodes", .integer(1...63), "Draft a dynamic tree of N nodes instead of a chain."),
                KeySpec("top_k", .integer(1...16), "Tree branching: nodes expanded per level and children per node (default 4)."),
                KeySpec("draft_threshold", .numberOr(["auto"]), "Stop drafting a branch below this draft probability (0 < p < 1), or \"auto\": chosen each round from what rounds cost (default off)."),
                KeySpec("max_new_tokens", .integer(1...(1 << 20)), "Longest answer per prompt (default 256)."),
                KeySpec("limit", .integer(1...Int.max), "Only the first N prompts (of those `every` selects)."),
                KeySpec("every", .integer(1...Int.max), "Only conversations 0, K, 2K, … of the input."),
            ]
        }
    }
}
