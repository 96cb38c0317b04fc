@testable import EagleprepCLI
import EagleCore
import Foundation
import XCTest

/// `eagleprep slurm`: the scripts written for a pipeline file, their resources, the submit chain, and the refusals.
/// (scripts/slurm-test.sh runs them on a real Slurm cluster.)
final class SlurmPlanTests: CLITestCase {
    func pipeline(_ json: String) throws -> String {
        try FileManager.default.createDirectory(atPath: tempDir + "/p", withIntermediateDirectories: true)
        return try write(json, to: "p/pipeline.json")
    }

    let full = """
    {"model": "../models/m.gguf", "out": "runs/a b", "threads": 3, "date": "2026-11-29",
     "stages": {"tokenize": {"input": ["data/x.jsonl", "/abs/y.jsonl"], "mask_mode": "assistant", "max_length": 512, "truncate": true, "any_roles": false},
                "vocab": {"size": 2048, "pad": true, "all_tokens": true, "target_vocab_size": 49152},
                "dump": {"shard_size": 64, "aux_dtype": "f16"}},
     "slurm": {"eagleprep": "/opt/bin/eagleprep", "job_name": "ep", "setup": ["module load openblas"],
               "defaults": {"partition": "cpu", "time": "02:00:00", "memory": "4G"},
               "tokenize": {"tasks": 4, "cpus": 2, "max_parallel": 2},
               "vocab": {"tasks": 3},
               "dump": {"tasks": 8, "cpus": 16, "memory": 65536, "sbatch": ["--exclusive"], "account": "proj"}}}
    """

    func testScriptsForAFullPipeline() throws {
        let path = try pipeline(full)
        let plan = try SlurmPlan.load(pipeline: path, eagleprep: "/unused")
        let base = SlurmPlan.absolute(tempDir + "/p")
        XCTAssertEqual(plan.out, base + "/runs/a b")
        XCTAssertEqual(plan.jobs.map(\.file), ["1-tokenize", "2-tokenize-merge", "3-vocab-counts", "4-vocab-merge", "5-dump", "6-dump-merge"])
        XCTAssertEqual(plan.jobs.map(\.array), [true, false, true, false, true, false])
        XCTAssertEqual(plan.jobs.map(\.resources.cpus), [2, 3, 3, 3, 16, 3])  // job cpus, else the pipeline's threads
        let files = Dictionary(uniqueKeysWithValues: plan.files().map { ($0.name, $0.text) })
        let out = "'\(base)/runs/a b"

        let tokenize = try XCTUnwrap(files["1-tokenize.sbatch"])
        for line in ["#SBATCH --job-name=ep-tokenize\n", "#SBATCH --array=0-3%2\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --mem=4G\n",
                     "#SBATCH --time=02:00:00\n", "#SBATCH --partition=cpu\n", "#SBATCH --output=\(base)/runs/a b/slurm-logs/%x-%A_%a.out\n",
                     "set -euo pipefail\nmodule load openblas\nEAGLEPREP=/opt/bin/eagleprep\n", "I=$((${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array} - SLURM_ARRAY_TASK_MIN))\n",
                     "\"$EAGLEPREP\" tokenize --model \(SlurmPlan.absolute(tempDir + "/models/m.gguf")) --input \(base)/data/x.jsonl --input /abs/y.jsonl "
                        + "--date 2026-11-29 --mask-mode assistant --max-length 512 --truncate --worker auto:4 --threads 2 --out \(out)/tokenize/workers/w'$I\n"] {
            XCTAssertTrue(tokenize.contains(line), "missing \(line) in\n\(tokenize)")
        }
        XCTAssertFalse(tokenize.contains("any-roles"))  // false leaves the flag off
        XCTAssertFalse(tokenize.contains("--account"))
        XCTAssertTrue(files["2-tokenize-merge.sbatch"]!.contains("\"$EAGLEPREP\" merge-tokens --out \(out)/tokenize' \(out)/tokenize/workers/w0' "
            + "\(out)/tokenize/workers/w1' \(out)/tokenize/workers/w2' \(out)/tokenize/workers/w3'\n"))
        let counts = try XCTUnwrap(files["3-vocab-counts.sbatch"])
        XCTAssertTrue(counts.contains("#SBATCH --array=0-2\n"))
        XCTAssertTrue(counts.contains("SHA=$(sha256sum \(out)/tokenize/manifest.json' | cut -c1-16)\n"), counts)
        XCTAssertTrue(counts.contains("\"$EAGLEPREP\" vocab --tokens \(out)/tokenize' --counts-only --part auto:3 --threads 3 --all-tokens --target-vocab-size 49152 "
            + "--out \(out)/vocab/counts/part-'$I-of-3-$SHA.counts\n"), counts)
        let merge = try XCTUnwrap(files["4-vocab-merge.sbatch"])
        XCTAssertTrue(merge.contains("\"$EAGLEPREP\" vocab --out \(out)/vocab' --size 2048 --pad --target-vocab-size 49152 --merge "
            + "\(out)/vocab/counts/part-'0-of-3-$SHA.counts \(out)/vocab/counts/part-'1-of-3-$SHA.counts \(out)/vocab/counts/part-'2-of-3-$SHA.counts\n"), merge)
        XCTAssertFalse(merge.contains("--all-tokens"))
        let dump = try XCTUnwrap(files["5-dump.sbatch"])
        for line in ["#SBATCH --array=0-7\n", "#SBATCH --cpus-per-task=16\n", "#SBATCH --mem=65536M\n", "#SBATCH --account=proj\n", "#SBATCH --exclusive\n",
                     "--worker auto:8 --threads 16 --shard-size 64 --aux-dtype f16 --out \(out)/dump/workers/w'$I\n"] {
            XCTAssertTrue(dump.contains(line), "missing \(line) in\n\(dump)")
        }
        XCTAssertTrue(files["6-dump-merge.sbatch"]!.contains("merge-manifests --out \(out)/dump' \(out)/dump/workers/w0' "))
        XCTAssertTrue(files["6-dump-merge.sbatch"]!.contains("#SBATCH --output=\(base)/runs/a b/slurm-logs/%x-%j.out\n"))
    }

    /// The scripts are valid bash, and submit.sh chains every job after the previous one (a stand-in sbatch records
    /// the calls).
    func testSubmitChainsTheJobs() throws {
        let path = try pipeline(full)
        let dir = tempDir + "/scripts"
        let r = try run(["slurm", path, "--out", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(names, ["1-tokenize.sbatch", "2-tokenize-merge.sbatch", "3-vocab-counts.sbatch", "4-vocab-merge.sbatch",
                               "5-dump.sbatch", "6-dump-merge.sbatch", "submit.sh"])
        for n in names {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/bin/bash")
            check.arguments = ["-n", dir + "/" + n]
            try check.run()
            check.waitUntilExit()
            XCTAssertEqual(check.terminationStatus, 0, n)
            let mode = try FileManager.default.attributesOfItem(atPath: dir + "/" + n)[.posixPermissions] as? Int
            XCTAssertNotEqual((mode ?? 0) & 0o100, 0, n)
        }
        let log = tempDir + "/sbatch.log"
        let fake = try write("#!/bin/bash\necho \"$*\" >> '\(log)'\nn=$(wc -l < '\(log)')\necho \"$((100 + n));cluster\"\n", to: "sbatch")
        chmod(fake, 0o755)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: dir + "/submit.sh")
        p.arguments = ["--begin=now"]
        p.environment = ["SBATCH": fake, "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let expected = "tokenize 101\ntokenize-merge 102\nvocab-counts 103\nvocab-merge 104\ndump 105\ndump-merge 106\n"
        XCTAssertEqual(text, expected)
        XCTAssertEqual(try String(contentsOfFile: dir + "/jobs.txt", encoding: .utf8), expected)
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(calls.first, "--parsable --begin=now \(SlurmPlan.absolute(dir))/1-tokenize.sbatch")
        XCTAssertEqual(calls.count, 6)
        for (k, call) in calls.enumerated().dropFirst() {
            XCTAssertTrue(call.hasPrefix("--parsable --kill-on-invalid-dep=yes --dependency=afterok:\(100 + k) --begin=now "), call)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: tempDir + "/p/runs/a b/slurm-logs"))
    }

    func testRefusals() throws {
        func refusal(_ json: String) throws -> String {
            let path = try pipeline(json)
            do {
                _ = try SlurmPlan.load(pipeline: path, eagleprep: "/x")
                XCTFail("accepted \(json)")
                return ""
            } catch { return "\(error)" }
        }
        let stages = #""stages": {"tokenize": {"input": "a.jsonl"}, "vocab": {"size": 8}}"#
        XCTAssertTrue(try refusal(#"{"out": "o", "#+stages+"}").contains("model: required"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"tokenize": {}, "vocab": {"size": 8}}}"#).contains("stages.tokenize.input: required"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"tokenize": {"input": "a"}}}"#).contains("stages.vocab: required"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"tokenize": {"input": "a"}, "vocab": {}}}"#).contains("stages.vocab.size: required"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"generate": {"input": "a"}, "tokenize": {}, "vocab": {"size": 8}}}"#)
            .contains("stages.generate: `eagleprep slurm` does not run generate"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"tokenize": {"input": "a", "mask_mod": "x"}, "vocab": {"size": 8}}}"#)
            .contains("stages.tokenize.mask_mod: unknown key (options of tokenize: "))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"tokenize": {"input": "a", "worker": "0/2"}, "vocab": {"size": 8}}}"#)
            .contains("stages.tokenize.worker: set by `eagleprep slurm` itself"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"tokenize": {"input": "a", "truncate": 1}, "vocab": {"size": 8}}}"#)
            .contains("stages.tokenize.truncate: expected true or false"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"tokenize": {"input": "a", "format": ["a"]}, "vocab": {"size": 8}}}"#)
            .contains("stages.tokenize.format: takes one value"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "#+stages+#", "slurm": {"tokenise": {}}}"#).contains("slurm.tokenise: unknown key"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "#+stages+#", "slurm": {"dump": {"tasks": 0}}}"#).contains("slurm.dump.tasks: expected an integer ≥ 1"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "#+stages+#", "slurm": {"dump_merge": {"tasks": 2}}}"#).contains("slurm.dump_merge.tasks: unknown key"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "#+stages+#", "slurm": {"defaults": {"partition": "a b"}}}"#).contains("slurm.defaults.partition"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "#+stages+#", "slurm": {"train": {"sbatch": ["exclusive"]}}}"#).contains("slurm.train.sbatch"))
        XCTAssertTrue(try refusal(#"{"model": "m", "out": "o", "stages": {"tokenize": {"input": "a"}, "vocab": {"size": 8}, "train": {}}}"#).contains("stages.train: needs stages.dump"))
        // The smallest accepted file: defaults everywhere (1 task, 1 cpu, cluster defaults for the rest).
        let plan = try SlurmPlan.load(pipeline: try pipeline(#"{"model": "m", "out": "o", "#+stages+"}"), eagleprep: "/bin/ep")
        XCTAssertEqual(plan.jobs.count, 4)
        XCTAssertEqual(plan.eagleprep, "/bin/ep")
        XCTAssertTrue(plan.script(plan.jobs[0]).contains("#SBATCH --array=0-0\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n#SBATCH --output="))
    }
}
