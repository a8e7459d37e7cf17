/// The integer engine's codec and its model files, with no libtorch: `IntegerModelFile` (safetensors
/// holding an `IntegerHyperprior`) and `IntegerImageCodec` (`.lic` files coded with it). What decodes a
/// Lichen file on any machine needs only this target and the ones below it (IntegerEngine,
/// EntropyCoding, CodecFormat, LichenSerialization, Imaging).
public enum IntegerCodec {}
