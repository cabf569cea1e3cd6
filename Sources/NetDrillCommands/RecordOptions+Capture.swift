import NetDrillCapture
import NetDrillEngine

extension RecordOptions {
  /// Capture settings by value, so a front end needs no import of the capture module.
  /// `bufferBytes` nil sizes each interface's ring from the scenario (``CaptureBudget``);
  /// a value gives every interface that ring.
  /// `full` writes every packet instead of summarising bulk runs (``BulkFolding``).
  public init(snapLength: Int32, bufferBytes: Int32?, captureFilter: String?, full: Bool = false) {
    var capture = CaptureConfiguration(snapLength: snapLength, filter: captureFilter)
    if let bufferBytes { capture.bufferBytes = bufferBytes }
    self.init(capture: capture, fixedRingSize: bufferBytes != nil, keepsEveryPacket: full)
  }
}
