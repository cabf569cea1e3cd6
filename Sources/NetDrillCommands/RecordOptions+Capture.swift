import NetDrillCapture
import NetDrillEngine

extension RecordOptions {
  /// Capture settings by value, so a front end needs no import of the capture module.
  public init(snapLength: Int32, bufferBytes: Int32, captureFilter: String?) {
    self.init(capture: CaptureConfiguration(snapLength: snapLength, bufferBytes: bufferBytes, filter: captureFilter))
  }
}
