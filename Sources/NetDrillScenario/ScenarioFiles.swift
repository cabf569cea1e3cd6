import Foundation
import Glibc

/// Finding scenario files: the one place that says which files under a
/// folder are scenarios, for `run DIR` and for `check` alike.
public enum ScenarioFiles {
  /// Scenario files (`*.json`) anywhere below `directory`, as paths relative
  /// to it, sorted; with `filter`, only those whose relative path matches it:
  /// a glob (`udp/*`, fnmatch(3)) or else a substring.
  public static func find(in directory: String, filter: String? = nil) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
    return walker.compactMap { $0 as? String }
      .filter { $0.hasSuffix(".json") }
      .filter { path in
        guard let filter else { return true }
        if filter.contains(where: { "*?[".contains($0) }) { return fnmatch(filter, path, 0) == 0 }
        return path.contains(filter)
      }
      .sorted()
  }

  /// `paths` with every folder replaced by the scenario files below it (in
  /// path order, prefixed with the folder); anything else is kept as given,
  /// so a missing file is reported when it is read.
  public static func expand(_ paths: [String]) -> [String] {
    paths.flatMap { path -> [String] in
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        return [path]
      }
      let base = path.hasSuffix("/") ? path : path + "/"
      return find(in: path).map { base + $0 }
    }
  }
}
