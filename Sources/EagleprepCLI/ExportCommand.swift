import DraftTraining
import EagleCore
import Foundation

/// `eagleprep export`: a training checkpoint → the serving layout of SPEC §11.
struct ExportCommand: Subcommand {
    static let name = "export"
    static let summary = "Turn a drafter checkpoint into model.safetensors + config.json (SPEC §11), or check an export."
    static let usage = "--checkpoint FILE --out DIR [--dtype f16|bf16] | --check DIR"
    static let options: [OptionSpec] = [
        .value("checkpoint", "FILE", "A checkpoint.safetensors written by `eagleprep train`."),
        .value("out", "DIR", "Output directory for model.safetensors and config.json."),
        .value("dtype", "T", "Weight type: f16 (default) or bf16."),
        .value("bos-token-id", "N", "The target's BOS id for config.json (default: the checkpoint's)."),
        .value("eos-token-id", "N", "The target's EOS id for config.json (default: the checkpoint's)."),
        .value("check", "DIR", "Only validate an existing export directory (keys, dtypes, shapes, d2t/t2d, config.json)."),
    ]
    static let discussion = """
    The export holds the 13 trainable tensors under their reference names (no prefix), d2t (I64) and t2d (BOOL); the
    frozen embedding is never saved. config.json carries architectures ["LlamaForCausalLMEagle3"] and
    draft_vocab_size, and no rope_theta, rope_scaling or head_dim. Both files are read back and checked after writing.
    """

    static func run(_ args: ParsedArguments) throws {
        try args.noPositionals()
        if let dir = args.string("check") {
            let e = try DrafterExport.load(directory: dir)
            let c = e.weights.configuration
            print("export: \(dir): valid \(e.dtype.rawValue) EAGLE-3 drafter, H \(c.hiddenSize), I \(c.intermediateSize), heads \(c.headCount)/\(c.kvHeadCount), V \(c.targetVocabSize), Vd \(c.draftVocabSize)")
            return
        }
        let checkpoint = try DrafterCheckpoint.read(path: try args.required("checkpoint"))
        let out = try args.required("out")
        let dtype = try TrainCommand.exportType(args)
        try DrafterExport.write(weights: checkpoint.weights, d2t: checkpoint.d2t, t2d: checkpoint.t2d,
                                bosTokenId: try args.int("bos-token-id") ?? checkpoint.bosTokenId,
                                eosTokenId: try args.int("eos-token-id") ?? checkpoint.eosTokenId, dtype: dtype, to: out)
        let step = checkpoint.state["step"]?.intValue.map { " (step \($0))" } ?? ""
        print("export: \(out)/\(DrafterExport.modelFile) and \(DrafterExport.configFile) from \(args.string("checkpoint")!)\(step), \(dtype.rawValue)")
    }
}
