/// GF(2^m) for 3 <= m <= 10 through exponent/logarithm tables: the
/// arithmetic BCH decoding needs (syndromes, Berlekamp-Massey, Chien search).
/// Elements are the integers 0..<2^m, bit i the coefficient of alpha^i in
/// the polynomial basis; alpha is a root of the field's primitive polynomial.
struct GaloisField: Sendable {
  let m: Int
  /// 2^m - 1: the order of alpha and the length of a primitive BCH code.
  let order: Int
  /// The primitive polynomial, bit i = coefficient of x^i (bit m set).
  let primitivePolynomial: Int
  /// exp[i] = alpha^i for 0 <= i < 2 * order (doubled so products need no modulo).
  private let exp: [Int]
  /// log[x] = i with alpha^i = x, for x != 0.
  private let log: [Int]

  /// Primitive polynomials of lowest weight for each degree (the usual table,
  /// e.g. Lin & Costello, Table 2.7). Primitivity is checked when the tables
  /// are built: alpha must run through every nonzero element before repeating.
  static let primitivePolynomials: [Int: Int] = [
    3: 0b1011,  // x^3 + x + 1
    4: 0b1_0011,  // x^4 + x + 1
    5: 0b10_0101,  // x^5 + x^2 + 1
    6: 0b100_0011,  // x^6 + x + 1
    7: 0b1000_1001,  // x^7 + x^3 + 1
    8: 0b1_0001_1101,  // x^8 + x^4 + x^3 + x^2 + 1
    9: 0b10_0001_0001,  // x^9 + x^4 + 1
    10: 0b100_0000_1001,  // x^10 + x^3 + 1
  ]

  static let supportedDegrees = 3...10

  init(m: Int) throws {
    guard Self.supportedDegrees.contains(m), let polynomial = Self.primitivePolynomials[m] else {
      throw WatermarkError("GF(2^\(m)) is not supported: m must be in \(Self.supportedDegrees)")
    }
    self.m = m
    order = (1 << m) - 1
    primitivePolynomial = polynomial
    var exp = [Int](repeating: 0, count: 2 * order)
    var log = [Int](repeating: -1, count: order + 1)
    var x = 1
    for i in 0..<order {
      guard log[x] == -1 else { throw WatermarkError("x^\(m) polynomial \(polynomial) is not primitive") }
      exp[i] = x
      log[x] = i
      x <<= 1
      if x & (1 << m) != 0 { x ^= polynomial }
    }
    for i in order..<(2 * order) { exp[i] = exp[i - order] }
    self.exp = exp
    self.log = log
  }

  /// alpha^i for any integer i (negative exponents too).
  func power(_ i: Int) -> Int {
    let r = i % order
    return exp[r < 0 ? r + order : r]
  }

  /// log_alpha(x); x must be nonzero.
  func logarithm(_ x: Int) -> Int { log[x] }

  func multiply(_ a: Int, _ b: Int) -> Int {
    guard a != 0, b != 0 else { return 0 }
    return exp[log[a] + log[b]]
  }

  /// a / b; b must be nonzero.
  func divide(_ a: Int, _ b: Int) -> Int {
    guard a != 0 else { return 0 }
    return exp[log[a] - log[b] + order]
  }

  /// The minimal polynomial over GF(2) of alpha^i: the product of
  /// (x - alpha^j) over the cyclotomic coset {i, 2i, 4i, ...} mod 2^m - 1.
  /// Returned as coefficient bits (index = power of x), all 0 or 1.
  func minimalPolynomial(ofPower i: Int) -> [UInt8] {
    var coset: [Int] = []
    var j = ((i % order) + order) % order
    while !coset.contains(j) {
      coset.append(j)
      j = (2 * j) % order
    }
    // Multiply out in GF(2^m); the result has coefficients in GF(2).
    var product = [1]
    for e in coset {
      let root = power(e)
      var next = [Int](repeating: 0, count: product.count + 1)
      for (k, c) in product.enumerated() {
        next[k + 1] ^= c  // x * c
        next[k] ^= multiply(c, root)  // root * c (minus is plus in characteristic 2)
      }
      product = next
    }
    return product.map { UInt8($0 & 1) }
  }
}
