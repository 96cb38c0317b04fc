import EagleCore
import Foundation

/// The `eagleprep` entry point: dispatches git-style subcommands. Exit codes: 0 success, 1 runtime failure,
/// 2 usage error. Messages go to standard error.
public enum EagleprepMain {
    public static let version = "0.1.0"

    public static let commands: [any Subcommand.Type] = [
        TokenizeCommand.self,
        RenderCommand.self,
        VocabCommand.self,
        DumpCommand.self,
        InspectCommand.self,
        VerifyCommand.self,
        MergeManifestsCommand.self,
        EncodeCommand.self,
        DecodeCommand.self,
        BenchCommand.self,
        GGUFInfoCommand.self,
        ForwardCommand.self,
        GenerateCommand.self,
        TrainCommand.self,
        ExportCommand.self,
        EvalCommand.self,
        MergeTokensCommand.self,
        SlurmCommand.self,
        RunCommand.self,
    ]

    public static var overview: String {
        var s = """
        eagleprep \(version): chat datasets to EAGLE-3 drafter training data.

        Usage: eagleprep <command> [options]
               eagleprep help <command>

        Commands:

        """
        let width = commands.map { $0.name.count }.max() ?? 0
        for c in commands { s += "  " + c.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + c.summary + "\n" }
        s += "\nRun 'eagleprep <command> --help' for a command's options.\n"
        return s
    }

    public static func run(_ argv: [String]) -> Int32 {
        var args = Array(argv.dropFirst())
        guard let first = args.first else {
            printError(overview)
            return 2
        }
        switch first {
        case "help", "-h", "--help":
            if args.count > 1 {
                guard let c = command(named: args[1]) else {
                    printError("eagleprep: unknown command '\(args[1])'\n\n" + overview)
                    return 2
                }
                print(c.helpText, terminator: "")
            } else {
                print(overview, terminator: "")
            }
            return 0
        case "version", "--version":
            print("eagleprep \(version)")
            return 0
        default:
            break
        }
        guard let c = command(named: first) else {
            printError("eagleprep: unknown command '\(first)'\n\n" + overview)
            return 2
        }
        args.removeFirst()
        do {
            let parsed = try ParsedArguments(args, options: c.options)
            if parsed.helpRequested {
                print(c.helpText, terminator: "")
                return 0
            }
            try c.run(parsed)
            return 0
        } catch let e as UsageError {
            printError("eagleprep \(c.name): \(e.message)\n\nUsage: eagleprep \(c.name) \(c.usage)\nRun 'eagleprep \(c.name) --help' for details.")
            return 2
        } catch {
            printError("eagleprep \(c.name): error: \(error)")
            return 1
        }
    }

    static func command(named name: String) -> (any Subcommand.Type)? {
        commands.first { $0.name == name }
    }
}
