extension Lint {
    /// The bucket lifecycle rules that would act on a component otherwise than its policy
    /// (``OutsideLifecycleRules``), one error each: the sweep withholds that component's
    /// deletions (exit 5) until the rule changes or the policy acknowledges it.
    public func lifecycleFindings(rules: [BucketLifecycleRule]) -> [LintFinding] {
        policies.policies.flatMap { policy in
            OutsideLifecycleRules.conflicts(of: policy, with: rules).map { conflict in
                LintFinding(
                    severity: .error, component: policy.component, file: policy.sourcePath,
                    message: "\(conflict.description): "
                        + "the sweep withholds this component's deletions (exit 5); change or remove the rule, "
                        + "or list it under acknowledge_lifecycle_rules")
            }
        }
    }
}
