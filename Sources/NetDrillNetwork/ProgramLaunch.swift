import Foundation
import Glibc
import NetDrillSockets

/// Everything needed to spawn one program, worked out on the caller's thread
/// so that mistakes surface from `ProgramUnderTest.start` as clear errors.
///
/// Why `setpriv --pdeathsig KILL`: the program must die with netdrill, even
/// when netdrill is SIGKILLed and runs no code at all. Only the kernel can do
/// that, through PR_SET_PDEATHSIG (prctl(2)), which the child has to set on
/// itself between fork and exec — posix_spawn(3) cannot, and fork() plus
/// custom C in a many-threaded Swift process is the riskier path. util-linux's
/// setpriv(1) does exactly prctl + execvp, so the program keeps its pid (the
/// one we wait for and signal) and its argv. The cost: a window of about a
/// millisecond, before setpriv has called prctl, in which netdrill's death
/// would not reach the child. setpriv's execvp finds command[0] through the
/// same PATH we checked here.
struct ProgramLaunch: Sendable {
  let name: String
  /// argv handed to setpriv: its options, then the program's argv unchanged.
  let arguments: [String]
  let setpriv: String
  /// "NAME=value" for every variable of netdrill's environment merged with the spec's.
  let environment: [String]
  let workingDirectory: String?

  init(_ spec: ProgramSpec) throws(ProgramError) {
    guard let command = spec.command.first, !command.isEmpty else { throw .commandNotFound("") }
    var environment = ProcessInfo.processInfo.environment
    environment.merge(spec.environment) { _, new in new }

    let base = spec.workingDirectory ?? FileManager.default.currentDirectoryPath
    if let directory = spec.workingDirectory {
      var info = stat()
      guard stat(directory, &info) == 0 else {
        throw .spawnFailed("program \(spec.name): working directory \(directory)", .current)
      }
      guard info.st_mode & S_IFMT == S_IFDIR else {
        throw .spawnFailed("program \(spec.name): working directory \(directory)", Errno(rawValue: ENOTDIR))
      }
    }
    // glibc's execvp searches "/bin:/usr/bin" when PATH is unset (exec(3)).
    guard Self.findExecutable(command, path: environment["PATH"] ?? "/bin:/usr/bin", base: base) != nil else {
      throw .commandNotFound(command)
    }
    let ownPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
    guard let setpriv = Self.findExecutable("setpriv", path: ownPath + ":/usr/bin:/bin", base: "/") else {
      throw .spawnFailed(
        "finding setpriv (util-linux; netdrill uses it to make programs die with netdrill: apt-get install util-linux)",
        Errno(rawValue: ENOENT))
    }
    self.name = spec.name
    self.setpriv = setpriv
    self.arguments = [setpriv, "--pdeathsig", "KILL", "--"] + spec.command
    self.environment = environment.map { "\($0.key)=\($0.value)" }.sorted()
    self.workingDirectory = spec.workingDirectory
  }

  /// The file `execvp` would run for `command`: PATH search without a slash,
  /// else the path itself (relative to `base`, the program's working directory).
  static func findExecutable(_ command: String, path: String, base: String) -> String? {
    func absolute(_ name: String) -> String { name.hasPrefix("/") ? name : base + "/" + name }
    if command.contains("/") { return isExecutableFile(absolute(command)) ? absolute(command) : nil }
    for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
      let candidate = absolute(directory.isEmpty ? "." : String(directory)) + "/" + command
      if isExecutableFile(candidate) { return candidate }
    }
    return nil
  }

  private static func isExecutableFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
  }
}
