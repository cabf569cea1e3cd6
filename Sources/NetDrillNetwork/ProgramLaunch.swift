import Foundation
import Glibc
import NetDrillSockets

/// Everything needed to spawn one program, worked out on the caller's thread
/// so that mistakes surface from `ProgramUnderTest.start` as clear errors.
///
/// The program is started by `nd_spawn_contained` (CNetDrillProcess) inside a
/// PID namespace of its own; see `ProgramSupervisor` for why.
struct ProgramLaunch: Sendable {
  let name: String
  /// The program's argv, unchanged.
  let arguments: [String]
  /// The absolute path of the file to execute: `command[0]` looked up as
  /// execvp(3) would (PATH of the program's environment, or relative to its
  /// working directory), because the contained spawn calls execve(2).
  let executable: String
  /// "NAME=value" for every variable of netdrill's environment merged with the spec's.
  let environment: [String]
  let workingDirectory: String?

  init(_ spec: ProgramSpec) throws(ProgramError) {
    guard let command = spec.command.first, !command.isEmpty else { throw .commandNotFound("") }
    var environment = ProcessInfo.processInfo.environment
    environment.merge(spec.environment) { _, new in new }

    let current = FileManager.default.currentDirectoryPath
    var base = spec.workingDirectory ?? current
    if !base.hasPrefix("/") { base = current + "/" + base }
    if let directory = spec.workingDirectory {
      var info = stat()
      if case .failure(let error) = syscall({ stat(directory, &info) }) {
        throw .spawnFailed("program \(spec.name): working directory \(directory)", error)
      }
      guard info.st_mode & S_IFMT == S_IFDIR else {
        throw .spawnFailed("program \(spec.name): working directory \(directory)", Errno(rawValue: ENOTDIR))
      }
    }
    // glibc's execvp searches "/bin:/usr/bin" when PATH is unset (exec(3)).
    guard let executable = Self.findExecutable(command, path: environment["PATH"] ?? "/bin:/usr/bin", base: base)
    else {
      throw .commandNotFound(command)
    }
    self.name = spec.name
    self.executable = executable
    self.arguments = spec.command
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
