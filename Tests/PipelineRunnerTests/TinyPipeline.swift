import EagleCore
import Foundation
import TestSupport

/// A miniature pipeline for end-to-end tests: the 8-layer tiny Llama fixture (H 64, vocabulary 256, random
/// weights; Tests/TargetModelTests/Fixtures/tiny-llama) as a chat model (`TinyChatModel`), and a few conversations.
enum TinyPipeline {
    static let conversations: [String] = [
        #"{"messages": [{"role": "user", "content": "Name three colours."}]}"#,
        #"{"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3?"}]}"#,
        #"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]}"#,
        #"{"messages": [{"role": "user", "content": "Write a haiku about rain."}]}"#,
        #"{"messages": [{"role": "user", "content": "List the days of the week."}]}"#,
        #"{"messages": [{"role": "user", "content": "Why is the sky blue?"}, {"role": "assistant", "content": "Scattering."}, {"role": "user", "content": "Explain more."}]}"#,
        #"{"messages": [{"role": "user", "content": "Translate 'cat' into French."}]}"#,
        #"{"messages": [{"role": "user", "content": "Count from one to five."}]}"#,
    ]

    /// Writes model/, conversations.jsonl and pipeline.json (output root `out`) into `dir`; returns the pipeline path.
    static func write(into dir: String, out: String = "out", extraStages: String = "") throws -> String {
        let fixture = TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures/tiny-llama"
        let model = dir + "/model"
        if !FileManager.default.fileExists(atPath: model) {
            try TinyChatModel.writeFolder(model, weightsFrom: fixture)
            try (conversations.joined(separator: "\n") + "\n").write(toFile: dir + "/conversations.jsonl", atomically: true, encoding: .utf8)
        }
        let pipeline = """
        {
          "model": "model", "out": "\(out)", "threads": 2, "date": "2026-11-29",
          "stages": {
            "generate": {"input": "conversations.jsonl", "max_new_tokens": 12, "batch_size": 3},
            "tokenize": {"mask_mode": "assistant", "system_prompt": "data", "max_length": 200, "shard_size": 3},
            "vocab": {"size": 64, "pad": true},
            "dump": {"shard_size": 2, "batch_tokens": 32, "aux_dtype": "f32"}\(extraStages)
          }
        }
        """
        let path = dir + "/pipeline-\(out).json"
        try pipeline.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
