/// The version of Strata, printed by `strata --version` and recorded in every plan and journal.
public enum StrataVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
