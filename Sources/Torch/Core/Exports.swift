// `SplitMix64` lives in LichenRandom, which has no dependencies so that targets
// without libtorch can share it; re-exported so `import Torch` still provides it.
@_exported import LichenRandom
@_exported import LichenSerialization
