import NIOCore

/// The per-request timeout of the container and instance metadata endpoints:
/// `AWS_METADATA_SERVICE_TIMEOUT` (whole or fractional seconds, as the aws cli reads it) when it
/// is a positive number, else the provider's default.
/// See <https://docs.aws.amazon.com/cli/latest/topic/config-vars.html>.
enum MetadataTimeout {
    static func from(_ environment: [String: String], default fallback: TimeAmount) -> TimeAmount {
        guard let text = environment["AWS_METADATA_SERVICE_TIMEOUT"], let seconds = Double(text), seconds > 0,
              seconds < 3600 else { return fallback }
        return .milliseconds(Int64(seconds * 1000))
    }
}
