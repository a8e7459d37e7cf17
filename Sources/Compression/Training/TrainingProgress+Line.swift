import Foundation
import Training

extension TrainingProgress: ProgressLine {
  /// "step 120/1000  loss 1.9  bpp 0.61  psnr 31.20 dB  aux 4.1  lr 1.00e-04  1.98 steps/s  eta 7m24s", and the
  /// validation's bpp and PSNR on the steps that ran one.
  public var line: String {
    var line = String(format: "step %d/%d  loss %.4f  bpp %.4f  psnr %.2f dB  aux %.1f  lr %.2e  %.2f steps/s  eta %@",
                      step, totalSteps, loss, bpp, psnr, auxiliaryLoss, learningRate, stepsPerSecond, formatDuration(etaSeconds))
    if let v = validation { line += String(format: "  | val bpp %.4f psnr %.2f dB", v.bpp, v.psnr) }
    return line
  }
}
