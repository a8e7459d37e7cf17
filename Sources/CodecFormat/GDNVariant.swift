/// The GDN a model uses (`GDN.Variant` in Compression): the standard one of Balle et al., the
/// simplified one (|x| and no square root) or the hardware one (quantized gamma, table normaliser).
public enum GDNVariant: String, Sendable, Codable, CaseIterable {
  case standard
  case simplified
  case hardware
}
