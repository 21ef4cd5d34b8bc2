/// How failed requests are retried: capped exponential backoff with full jitter.
///
/// See <https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/> and
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>.
/// Only requests that are idempotent, or whose body can be sent again, are retried.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included (1 means no retry).
    public var maxAttempts: Int
    /// The backoff before the first retry, doubled each time.
    public var baseDelay: Duration
    /// The ceiling of any one backoff.
    public var maxDelay: Duration

    /// A policy; the defaults follow the AWS SDKs' "standard" mode (3 attempts is their
    /// default; backups are worth a little more patience).
    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(20)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The delay before retry number `retry` (1-based): uniform in `0 ... min(maxDelay, base * 2^(retry-1))`.
    public func delay(beforeRetry retry: Int, random: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let cap = min(maxDelay, baseDelay * (1 << exponent))
        let capNanos = cap.components.seconds * 1_000_000_000 + cap.components.attoseconds / 1_000_000_000
        guard capNanos > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...capNanos, using: &random))
    }
}
