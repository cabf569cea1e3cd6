import NetDrillCapture

/// `show --html` and `diff --html`: a self-contained page (inline CSS,
/// script and SVG; nothing fetched) drawing a trace as a ladder diagram —
/// one lane per endpoint, one arrow per packet in time order, ICMP errors
/// tied back to the datagram they quote, steps with ✓/✗ beside the arrows.
///
/// The page is written as it is read: the fixed head, then each trace's
/// events as JSON lines inside an inert `<script type="application/x-ndjson">`
/// block (see ``LadderJSON`` for why nothing in them can end the block),
/// then the script that draws them in the browser. Nothing holds the whole
/// page; the file appears under its name only when complete.
public enum LadderPage {
  /// Writes the ladder of the trace at `tracePath` to `outputPath`.
  public static func writeShow(tracePath: String, filter: PacketFilter?, to outputPath: String) throws {
    try write(to: outputPath) { file in
      try block(LadderEvents(path: tracePath, filter: filter), to: file)
    }
  }

  /// Writes the two traces side by side to `outputPath`, the packets `result`
  /// found different marked on each side and every difference listed above them.
  public static func writeDiff(
    expectedPath: String, actualPath: String, options: DiffOptions, filter: PacketFilter?, result: TraceDiffResult,
    to outputPath: String
  ) throws {
    let packetDifferences = result.differences.filter { $0.kind == .packet }
    let steps = Set(result.differences.filter { $0.kind == .outcome }.map(\.location))
    let expectedMarks = Set(packetDifferences.filter { $0.expected != "nothing" }.map(\.location))
    // An extra packet's location already names the actual trace; a timing difference's names the pair by the
    // expected side's index, which the actual side shares.
    let actualSuffix = " of the actual trace"
    let actualMarks = Set(
      packetDifferences.compactMap { difference -> String? in
        if let location = difference.actualLocation { return location }
        if difference.actual == "nothing" { return nil }
        return difference.location.hasSuffix(actualSuffix) ? difference.location : difference.location + actualSuffix
      })
    try write(to: outputPath) { file in
      try file.write("<script type=\"application/x-ndjson\" id=\"differences\">\n")
      let summary = result.same ? "the traces are the same" : "\(result.differences.count) difference(s)"
      try file.write(LadderJSON.object([("k", "\"x\""), ("x", LadderJSON.string(summary))]) + "\n")
      for difference in result.differences {
        var text =
          "\(difference.location): \(difference.field): expected \(difference.expected), actual \(difference.actual)"
        if let lines = difference.lines { text += "\n" + lines.joined(separator: "\n") }
        try file.write(LadderJSON.object([("k", "\"x\""), ("x", LadderJSON.string(text))]) + "\n")
      }
      for note in result.notes {
        try file.write(LadderJSON.object([("k", "\"x\""), ("x", LadderJSON.string("note: \(note)"))]) + "\n")
      }
      try file.write("</script>\n")
      try block(
        LadderEvents(
          path: expectedPath, filter: filter,
          marks: .init(locations: expectedMarks, suffix: "", options: options, steps: steps)), to: file)
      try block(
        LadderEvents(
          path: actualPath, filter: filter,
          marks: .init(locations: actualMarks, suffix: actualSuffix, options: options, steps: steps)), to: file)
    }
  }

  private static func write(to outputPath: String, body: (AtomicTextFile) throws -> Void) throws {
    let file = try AtomicTextFile(path: outputPath)
    do {
      try file.write(head)
      try body(file)
      try file.write("<script>\n\(LadderScript.source)</script>\n</body>\n</html>\n")
      try file.commit()
    } catch {
      file.abandon()
      throw error
    }
  }

  private static func block(_ events: LadderEvents, to file: AtomicTextFile) throws {
    try file.write("<script type=\"application/x-ndjson\" class=\"ladder\">\n")
    try events.write { line throws(LadderError) in try file.write(line + "\n") }
    try file.write("</script>\n")
  }

  private static let head = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
    <title>netdrill ladder</title>
    <style>
    body { font: 13px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; margin: 0; color: #1d2430;
      background: #fbfbfc; }
    #panels { display: flex; gap: 12px; align-items: flex-start; padding: 8px; padding-bottom: 40vh; }
    .panel { overflow-x: auto; flex: 1 1 0; min-width: 0; border: 1px solid #d8dce3; background: #fff; }
    .title { font-weight: bold; padding: 6px 8px; border-bottom: 1px solid #d8dce3; white-space: pre-wrap; }
    svg.ladder text { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; fill: #1d2430; white-space: pre; }
    svg.ladder text.lane-name { font-weight: bold; text-anchor: middle; }
    svg.ladder text.time { fill: #7a8190; }
    svg.ladder line.lane { stroke: #c3c8d2; stroke-dasharray: 3 3; }
    svg.ladder .arrow .shaft { stroke: #2c62c9; stroke-width: 1.6; fill: none; }
    svg.ladder .arrow.error .shaft { stroke: #c2410c; }
    svg.ladder .arrow.differs .shaft { stroke: #b4009e; stroke-width: 3; }
    svg.ladder .arrow .hit { stroke: transparent; stroke-width: 12; fill: none; }
    svg.ladder .arrow, svg.ladder .step, svg.ladder .label { cursor: pointer; }
    svg.ladder .arrow:hover .shaft, svg.ladder .arrow.chosen .shaft { stroke-width: 3.5; }
    svg.ladder path.quote { stroke: #c2410c; stroke-dasharray: 4 3; fill: none; }
    svg.ladder rect.fail-row { fill: #fde2e2; }
    svg.ladder rect.differs-row { fill: #f8e1f4; }
    svg.ladder text.ok { fill: #15803d; }
    svg.ladder text.bad { fill: #b91c1c; font-weight: bold; }
    .checks div { padding: 1px 8px; white-space: pre-wrap; }
    .checks .ok, .verdict.ok { color: #15803d; }
    .checks .bad, .verdict.bad { color: #b91c1c; font-weight: bold; }
    .verdict { padding: 6px 8px; }
    #differences-list { max-height: 30vh; overflow: auto; padding: 6px 10px; white-space: pre-wrap;
      border-bottom: 1px solid #d8dce3; background: #fff; }
    #differences-list div:first-child { font-weight: bold; }
    #detail { position: fixed; left: 0; right: 0; bottom: 0; max-height: 36vh; overflow: auto; margin: 0;
      padding: 8px 10px; background: #1d2430; color: #f1f3f7; white-space: pre; }
    </style>
    </head>
    <body>

    """
}
