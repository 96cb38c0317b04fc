import EagleprepCLI
#if canImport(Glibc)
import Glibc
#endif

exit(EagleprepMain.run(CommandLine.arguments))
