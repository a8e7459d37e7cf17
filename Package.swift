// swift-tools-version:6.0
// Lichen: learned image compression from trained network to hardware, with watermarking.
// Targets are layers; dependencies point one way (see docs/architecture.md).
import PackageDescription

let package = Package(
  name: "Lichen",
  products: [
    .executable(name: "lichen", targets: ["LichenCLI"]),
    .executable(name: "lichen-bench", targets: ["LichenBench"]),
    .library(name: "Torch", targets: ["Torch"]),
    .library(name: "LichenSerialization", targets: ["LichenSerialization"]),
    .library(name: "EntropyCoding", targets: ["EntropyCoding"]),
    .library(name: "Imaging", targets: ["Imaging"]),
    .library(name: "Compression", targets: ["Compression"]),
    .library(name: "IntegerEngine", targets: ["IntegerEngine"]),
    .library(name: "IntegerCodec", targets: ["IntegerCodec"]),
    .library(name: "Quantization", targets: ["Quantization"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // C-ABI shim over Debian's libtorch 1.13.1. C++ inside, plain C outside.
    .target(
      name: "CTorch",
      cxxSettings: [
        .headerSearchPath("include"),
        .define("_GLIBCXX_USE_CXX11_ABI", to: "1"),
      ],
      linkerSettings: [
        .linkedLibrary("torch_cpu"),
        .linkedLibrary("c10"),
      ]
    ),
    // The seeded SplitMix64 generator: depends on nothing; Torch re-exports it.
    .target(name: "LichenRandom"),
    // Pure-Swift model files (safetensors, PyTorch zip/pickle checkpoints, typed metadata keys): no libtorch.
    .target(name: "LichenSerialization"),
    .target(name: "Torch", dependencies: ["CTorch", "LichenRandom", "LichenSerialization"]),
    // The one training engine: a `Trainer` that runs any `TrainingTask` (steps, optimizer,
    // clipping, data parallelism, the backward hook, checkpoints, log.csv, exact resume).
    .target(name: "Training", dependencies: ["Torch"]),
    // Pure Swift rANS coder: depends on nothing.
    .target(name: "EntropyCoding"),
    .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .target(name: "Imaging", dependencies: ["CLibPNG"]),
    // The `.lic` container, model configurations, codec errors: no libtorch.
    .target(name: "CodecFormat", dependencies: ["Imaging"]),
    .target(name: "Reporting"),
    .target(
      name: "Compression", dependencies: ["Torch", "Training", "Watermarking", "CodecFormat", "EntropyCoding", "Imaging", "IntegerEngine", "Reporting"],
      resources: [.copy("Zoo/Weights")]
    ),
    .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
    .target(name: "Vision", dependencies: ["Torch", "Training", "Watermarking", "Imaging", "CZlib"]),
    // Substitutive white-box watermarking (WaterMAS) for any Module.
    .target(name: "Watermarking", dependencies: ["Torch", "Training", "Reporting"]),
    // Exact integer kernels of the engine in C: AVX-512 VNNI, AVX2 and portable paths picked at run time.
    .target(name: "CIntegerKernels"),
    // Fixed-point codec engine: integers only, no libtorch (bit-exact reference).
    .target(name: "IntegerEngine", dependencies: ["EntropyCoding", "CIntegerKernels"]),
    // The integer codec and its model files: no libtorch (decodes on any machine).
    .target(
      name: "IntegerCodec",
      dependencies: ["IntegerEngine", "CodecFormat", "LichenSerialization", "EntropyCoding", "Imaging"]),
    // Schemes, calibration, fake-quant, float -> integer conversion.
    .target(
      name: "Quantization",
      dependencies: ["Compression", "IntegerCodec", "IntegerEngine", "EntropyCoding", "Torch", "Imaging"]),
    // Teacher -> student distillation (one width knob).
    .target(name: "Distillation", dependencies: ["Compression", "Reporting", "Torch"]),
    // FPGA: board catalog, layer graph, resource planner, pipeline simulator, RTL, HLS export.
    .target(
      name: "Hardware",
      dependencies: ["IntegerCodec", "IntegerEngine", "CodecFormat", "EntropyCoding", "Imaging", "LichenSerialization", "LichenRandom", "Reporting"],
      resources: [.copy("Resources")]
    ),
    .target(name: "Deployment", dependencies: ["Hardware", "Quantization", "Compression", "Imaging"]),
    .executableTarget(
      name: "LichenCLI",
      dependencies: [
        "Torch", "Training", "Compression", "Imaging", "Distillation", "Watermarking", "Vision", "Quantization", "IntegerEngine",
        "Hardware", "Deployment", "Reporting",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "LichenBench",
      dependencies: [
        "Torch", "Compression", "EntropyCoding", "Quantization", "IntegerEngine", "Imaging",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Helpers the test targets share (JSON mutations for the fuzz tests); not a product.
    .target(name: "LichenTestSupport", dependencies: ["Torch"]),
    .testTarget(name: "TorchTests", dependencies: ["Torch"], exclude: ["Fixtures"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training"]),
    .testTarget(name: "SerializationTests", dependencies: ["LichenSerialization", "Torch", "LichenRandom"]),
    .testTarget(name: "EntropyCodingTests", dependencies: ["EntropyCoding", "LichenRandom"]),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging", "LichenRandom"], exclude: ["Fixtures"]),
    .testTarget(name: "CompressionTests", dependencies: ["Compression"], exclude: ["Fixtures"]),
    .testTarget(name: "IntegerEngineTests", dependencies: ["IntegerEngine"]),
    // Depends on no libtorch target: the integer codec alone codes a photo.
    .testTarget(name: "IntegerCodecTests", dependencies: ["IntegerCodec", "Imaging"]),
    .testTarget(name: "QuantizationTests", dependencies: ["Quantization", "IntegerCodec", "LichenTestSupport"]),
    .testTarget(name: "DistillationTests", dependencies: ["Distillation", "Hardware"]),
    .testTarget(name: "HardwareTests", dependencies: ["Hardware", "Deployment", "Compression", "LichenTestSupport"]),
    .testTarget(name: "WatermarkingTests", dependencies: ["Watermarking", "Training", "LichenTestSupport"]),
    .testTarget(name: "WatermarkingIntegrationTests", dependencies: ["Watermarking", "Vision"]),
    .testTarget(name: "VisionTests", dependencies: ["Vision", "CZlib"]),
    // Runs the built `lichen` binary: help of every subcommand, messages and exit codes, a round trip.
    .testTarget(name: "LichenCLITests", dependencies: ["LichenCLI", "Reporting"]),
  ],
  cxxLanguageStandard: .cxx17
)
