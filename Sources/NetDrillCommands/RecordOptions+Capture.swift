import NetDrillCapture
import NetDrillEngine

extension RecordOptions {
  /// Capture settings by value, so a front end needs no import of the capture module.
  /// `bufferBytes` nil sizes each interface's ring from the scenario (``CaptureBudget``);
  /// a value gives every interface that ring.
  public init(snapLength: Int32, bufferBytes: Int32?, captureFilter: String?) {
    var capture = CaptureConfiguration(snapLength: snapLength, filter: captureFilter)
    if let bufferBytes { capture.bufferBytes = bufferBytes }
    self.init(capture: capture, fixedRingSize: bufferBytes != nil)
  }
}
