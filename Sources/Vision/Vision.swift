@_exported import Training
import Torch

/// Vision: image classifiers for watermarking experiments.
///
/// Loaders for CIFAR-10 (binary batches) and Fashion-MNIST (gzip IDX), an
/// in-memory `ClassificationDataset` with normalisation, augmentation and a
/// background batch producer, CIFAR-sized VGG16-BN, ResNet18, MobileNetV3
/// (small/large) and Swin-T whose state-dict names follow torchvision, and a
/// `ClassifierTrainer` with exact checkpoint/resume. Library code never prints.
public enum Vision {}
