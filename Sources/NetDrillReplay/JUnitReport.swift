import Foundation

/// JUnit XML for a suite: one `<testcase>` per scenario, the reason and the
/// diff as the failure message, in the shape CI servers read (the Ant JUnit
/// schema that Jenkins, GitLab and the GitHub test-report actions accept).
public struct JUnitReport {
  public var result: SuiteResult
  public var suiteName: String
  public var scenariosDirectory: String

  public init(result: SuiteResult, suiteName: String = "netdrill check", scenariosDirectory: String) {
    self.result = result
    self.suiteName = suiteName
    self.scenariosDirectory = scenariosDirectory
  }

  public var xml: String {
    let failures = result.count(.failed)
    let errors = result.count(.error)
    let skipped = result.count(.skipped)
    let time = seconds(result.seconds)
    let stamp = ISO8601DateFormatter().string(from: Date())
    var lines = [
      #"<?xml version="1.0" encoding="UTF-8"?>"#,
      #"<testsuites name="\#(escape(suiteName))" tests="\#(result.checks.count)" failures="\#(failures)" errors="\#(errors)" time="\#(time)">"#,
      #"  <testsuite name="\#(escape(suiteName))" tests="\#(result.checks.count)" failures="\#(failures)" errors="\#(errors)" skipped="\#(skipped)" time="\#(time)" timestamp="\#(stamp)">"#,
    ]
    for check in result.checks {
      let relative = relativeName(check.scenario)
      let classname = (relative as NSString).deletingLastPathComponent
      let name = ((relative as NSString).lastPathComponent as NSString).deletingPathExtension
      let attributes =
        #"classname="\#(escape(classname.isEmpty ? "scenarios" : classname.replacingOccurrences(of: "/", with: ".")))" name="\#(escape(name))" file="\#(escape(check.scenario))" time="\#(seconds(check.seconds))""#
      switch check.status {
      case .passed, .recorded:
        if let message = check.message {
          lines.append("    <testcase \(attributes)>")
          lines.append("      <system-out>\(escape(message))</system-out>")
          lines.append("    </testcase>")
        } else {
          lines.append("    <testcase \(attributes)/>")
        }
      case .failed:
        lines.append("    <testcase \(attributes)>")
        lines.append(
          #"      <failure message="\#(escape(check.message ?? "failed"))" type="\#((check.failure ?? .expectation).rawValue)">\#(escape(check.details ?? check.message ?? ""))</failure>"#
        )
        lines.append("    </testcase>")
      case .skipped:
        lines.append("    <testcase \(attributes)>")
        lines.append(#"      <skipped message="\#(escape(check.message ?? "skipped"))"/>"#)
        lines.append("    </testcase>")
      case .error:
        lines.append("    <testcase \(attributes)>")
        lines.append(
          #"      <error message="\#(escape(check.message ?? "error"))" type="error">\#(escape(check.message ?? ""))</error>"#
        )
        lines.append("    </testcase>")
      }
    }
    lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return lines.joined(separator: "\n") + "\n"
  }

  private func relativeName(_ path: String) -> String {
    let base = scenariosDirectory.hasSuffix("/") ? scenariosDirectory : scenariosDirectory + "/"
    return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
  }

  private func seconds(_ value: Double) -> String {
    String(format: "%.3f", value)
  }

  /// XML-escapes text and drops characters XML 1.0 cannot carry at all.
  func escape(_ text: String) -> String {
    var output = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": output += "&amp;"
      case "<": output += "&lt;"
      case ">": output += "&gt;"
      case "\"": output += "&quot;"
      case "'": output += "&apos;"
      case "\t", "\n", "\r": output.unicodeScalars.append(scalar)
      default:
        let value = scalar.value
        if value < 0x20 || (0xFFFE...0xFFFF).contains(value) {
          output += "?"
        } else {
          output.unicodeScalars.append(scalar)
        }
      }
    }
    return output
  }
}
