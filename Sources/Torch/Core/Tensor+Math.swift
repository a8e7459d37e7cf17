import CTorch

// MARK: - Element-wise math. Op codes must match the switch in CTorch/math.cpp.

enum UnaryOp: Int32 {
  case neg = 0, abs, sign, exp, log, sqrt, rsqrt, sigmoid, tanh, relu, relu6, hardswish, hardsigmoid, erfc
  case round, floor, ceil, reciprocal, square, sin, cos, logicalNot, log1p, expm1, erf, silu, isFinite, trunc, log2
}

enum BinaryOp: Int32 {
  case add = 0, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, remainder, atan2
}

extension Tensor {
  func unary(_ op: UnaryOp) throws -> Tensor { try Runtime.tensor(lt_unary(op.rawValue, handle)) }
  func binary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
    try Runtime.tensor(lt_binary(op.rawValue, handle, other.handle))
  }
  func binary(_ op: BinaryOp, _ scalar: Double) throws -> Tensor {
    try Runtime.tensor(lt_binary_scalar(op.rawValue, handle, scalar))
  }

  public func neg() throws -> Tensor { try unary(.neg) }
  public func abs() throws -> Tensor { try unary(.abs) }
  public func sign() throws -> Tensor { try unary(.sign) }
  public func exp() throws -> Tensor { try unary(.exp) }
  public func log() throws -> Tensor { try unary(.log) }
  public func log2() throws -> Tensor { try unary(.log2) }
  public func log1p() throws -> Tensor { try unary(.log1p) }
  public func expm1() throws -> Tensor { try unary(.expm1) }
  public func sqrt() throws -> Tensor { try unary(.sqrt) }
  public func rsqrt() throws -> Tensor { try unary(.rsqrt) }
  public func square() throws -> Tensor { try unary(.square) }
  public func reciprocal() throws -> Tensor { try unary(.reciprocal) }
  public func sin() throws -> Tensor { try unary(.sin) }
  public func cos() throws -> Tensor { try unary(.cos) }
  public func erf() throws -> Tensor { try unary(.erf) }
  public func erfc() throws -> Tensor { try unary(.erfc) }
  /// Round half to even, as PyTorch.
  public func round() throws -> Tensor { try unary(.round) }
  public func floor() throws -> Tensor { try unary(.floor) }
  public func ceil() throws -> Tensor { try unary(.ceil) }
  public func trunc() throws -> Tensor { try unary(.trunc) }
  public func sigmoid() throws -> Tensor { try unary(.sigmoid) }
  public func tanh() throws -> Tensor { try unary(.tanh) }
  public func relu() throws -> Tensor { try unary(.relu) }
  public func relu6() throws -> Tensor { try unary(.relu6) }
  public func hardswish() throws -> Tensor { try unary(.hardswish) }
  public func hardsigmoid() throws -> Tensor { try unary(.hardsigmoid) }
  public func silu() throws -> Tensor { try unary(.silu) }
  public func logicalNot() throws -> Tensor { try unary(.logicalNot) }
  public func isFinite() throws -> Tensor { try unary(.isFinite) }
  public func gelu(tanhApproximation: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_gelu(handle, tanhApproximation))
  }
  public func softplus(beta: Double = 1, threshold: Double = 20) throws -> Tensor {
    try Runtime.tensor(lt_softplus(handle, beta, threshold))
  }
  public func leakyReLU(slope: Double = 0.01) throws -> Tensor { try Runtime.tensor(lt_leaky_relu(handle, slope)) }

  public func pow(_ exponent: Double) throws -> Tensor { try binary(.pow, exponent) }
  public func pow(_ exponent: Tensor) throws -> Tensor { try binary(.pow, exponent) }
  public func maximum(_ other: Tensor) throws -> Tensor { try binary(.maximum, other) }
  public func minimum(_ other: Tensor) throws -> Tensor { try binary(.minimum, other) }
  public func maximum(_ value: Double) throws -> Tensor { try binary(.maximum, value) }
  public func minimum(_ value: Double) throws -> Tensor { try binary(.minimum, value) }
  public func remainder(_ value: Double) throws -> Tensor { try binary(.remainder, value) }
  public func atan2(_ other: Tensor) throws -> Tensor { try binary(.atan2, other) }

  /// Clamps to [low, high]; either bound may be omitted.
  public func clamp(min low: Double? = nil, max high: Double? = nil) throws -> Tensor {
    try Runtime.tensor(lt_clamp(handle, low ?? 0, high ?? 0, low != nil, high != nil))
  }

  // Comparisons give bool tensors.
  public func eq(_ other: Tensor) throws -> Tensor { try binary(.eq, other) }
  public func ne(_ other: Tensor) throws -> Tensor { try binary(.ne, other) }
  public func lt(_ other: Tensor) throws -> Tensor { try binary(.lt, other) }
  public func le(_ other: Tensor) throws -> Tensor { try binary(.le, other) }
  public func gt(_ other: Tensor) throws -> Tensor { try binary(.gt, other) }
  public func ge(_ other: Tensor) throws -> Tensor { try binary(.ge, other) }
  public func eq(_ value: Double) throws -> Tensor { try binary(.eq, value) }
  public func ne(_ value: Double) throws -> Tensor { try binary(.ne, value) }
  public func lt(_ value: Double) throws -> Tensor { try binary(.lt, value) }
  public func le(_ value: Double) throws -> Tensor { try binary(.le, value) }
  public func gt(_ value: Double) throws -> Tensor { try binary(.gt, value) }
  public func ge(_ value: Double) throws -> Tensor { try binary(.ge, value) }
  public func logicalAnd(_ other: Tensor) throws -> Tensor { try binary(.logicalAnd, other) }
  public func logicalOr(_ other: Tensor) throws -> Tensor { try binary(.logicalOr, other) }

  /// Element-wise choice: `condition ? a : b`, broadcasting.
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    try Runtime.tensor(lt_where(condition.handle, a.handle, b.handle))
  }
  public func maskedFill(_ mask: Tensor, _ value: Double) throws -> Tensor {
    try Runtime.tensor(lt_masked_fill(handle, mask.handle, value))
  }
  public func maskedSelect(_ mask: Tensor) throws -> Tensor {
    try Runtime.tensor(lt_masked_select(handle, mask.handle))
  }
}

// MARK: - Operators (they throw: shapes and dtypes are checked by libtorch).

extension Tensor {
  public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.add, b) }
  public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.sub, b) }
  public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.mul, b) }
  public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.div, b) }
  public static func + (a: Tensor, b: Double) throws -> Tensor { try a.binary(.add, b) }
  public static func - (a: Tensor, b: Double) throws -> Tensor { try a.binary(.sub, b) }
  public static func * (a: Tensor, b: Double) throws -> Tensor { try a.binary(.mul, b) }
  public static func / (a: Tensor, b: Double) throws -> Tensor { try a.binary(.div, b) }
  public static func + (a: Double, b: Tensor) throws -> Tensor { try b.binary(.add, a) }
  public static func - (a: Double, b: Tensor) throws -> Tensor { try Runtime.tensor(lt_rsub_scalar(b.handle, a)) }
  public static func * (a: Double, b: Tensor) throws -> Tensor { try b.binary(.mul, a) }
  public static func / (a: Double, b: Tensor) throws -> Tensor { try Tensor.scalar(a, dtype: b.dtype) / b }
  public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }
}
