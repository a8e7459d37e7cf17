/// Compression: the learned image codec (GDN family, entropy models,
/// Balle-2018 models, container format, training and evaluation).
public enum CompressionModule {}
