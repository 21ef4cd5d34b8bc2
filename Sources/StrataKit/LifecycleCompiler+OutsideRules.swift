import Foundation
import Retention
import S3

extension LifecycleCompiler {
    /// The bucket's lifecycle rules that Strata did not write, for the planner to weigh against
    /// the policies (``Retention/OutsideLifecycleRules``): every rule except those equal to what
    /// `strata lifecycle apply` writes for a component now (in a bucket with or without
    /// versioning, with or without `--no-transitions`). A rule named `strata-<component>` that
    /// differs (written from an older policy, or by someone else) is weighed like any other.
    ///
    /// A bucket without a configuration has none. A configuration Strata may not read
    /// (AccessDenied: the role lacks `s3:GetLifecycleConfiguration`) or a server without the
    /// API (501) is logged as a warning and gives none: the sweep goes on unguarded against
    /// outside rules rather than stopping every night.
    public func outsideRules(context: StrataContext) async throws -> [BucketLifecycleRule] {
        let configuration: LifecycleConfiguration?
        do {
            configuration = try await context.client.getBucketLifecycle(context.bucket)
        } catch let error as S3Error where error.code == .accessDenied || error.status == 501 {
            context.logger.warning("could not read the bucket's lifecycle configuration: rules Strata did not write are not checked",
                                   metadata: ["error": "\(error)"])
            return []
        }
        guard let configuration else { return [] }
        var own = Set<LifecycleRule>()
        for transitions in [true, false] {
            let compiler = LifecycleCompiler(policies: policies, transitions: transitions)
            for versioned in [false, true] {
                own.formUnion(try compiler.compile(versioned: versioned).configuration.rules)
            }
        }
        return configuration.rules.filter { !own.contains($0) }.map(Self.bucketRule)
    }

    /// The engine's view of an S3 rule. A transition to a class the engine does not know keeps
    /// its name (``Retention/StorageClass/other(_:)``), so it still differs from every tier.
    static func bucketRule(_ rule: LifecycleRule) -> BucketLifecycleRule {
        var converted = BucketLifecycleRule(
            id: rule.id, enabled: rule.enabled, prefix: rule.prefix, filteredByTag: rule.tag != nil,
            expirationDays: rule.expirationDays, expirationDate: rule.expirationDate,
            transitions: rule.transitions.map { .init(days: $0.days, storageClass: StorageClass(rawValue: $0.storageClass)) },
            noncurrentExpirationDays: rule.noncurrentExpirationDays,
            abortIncompleteUploadDays: rule.abortIncompleteUploadDays)
        converted.unrecognized = rule.unrecognized
        return converted
    }
}
