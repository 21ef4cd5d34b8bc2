import Foundation
import Retention
import S3

/// Uploads backup files under the keys and storage class a component's policy names, refusing
/// to overwrite anything, so a backup job can never replace an existing backup.
public struct Uploader: Sendable {
    /// Where to upload.
    public let context: StrataContext

    /// Creates an uploader.
    public init(context: StrataContext) { self.context = context }

    /// The keys `files` would get: the policy's upload template rendered for `time`, `series`
    /// and each file's name. Checks before anything is sent: the policy has a template, the keys
    /// are distinct, each key matches the policy's layout (so sweeps will recognize it), and
    /// `time` is no more than the policy's `future_tolerance` after now.
    public func keys(component: String, files: [String], time: Date, series: String?) throws -> [String] {
        let policies = try context.requirePolicies()
        guard let policy = policies.policy(named: component) else {
            throw StrataError(.configuration, "unknown component '\(component)'; expected one of \(policies.policies.map(\.component).joined(separator: ", "))")
        }
        guard let template = policy.upload.key else {
            throw StrataError(.configuration, "\(policy.sourcePath): component '\(component)' has no upload.key template (pgBackRest writes its own repository)")
        }
        // A key dated in the future would be kept forever and counted for no rule
        // (guards.future_tolerance): refuse it here rather than plant it.
        let latest = context.now().addingTimeInterval(TimeInterval(policy.guards.futureTolerance.seconds))
        if time > latest {
            throw StrataError(.configuration, "\(policy.sourcePath): backup time \(JSONCoding.timestamp(time)) is more than future_tolerance \(policy.guards.futureTolerance) after now (\(JSONCoding.timestamp(context.now()))); check --time and this host's clock")
        }
        if template.hasSeries, (series ?? "").isEmpty {
            throw StrataError(.configuration, "\(policy.sourcePath): the upload key '\(template)' has {series}: pass --series NAME")
        }
        let keys = files.map { file in
            template.render(date: time, series: series ?? "", file: (file as NSString).lastPathComponent, zone: policy.timeZone)
        }
        if Set(keys).count != keys.count {
            throw StrataError(.configuration, "\(policy.sourcePath): the upload key '\(template)' gives several files the same key; add {file} to it or upload one file per run")
        }
        if case .template(let layout) = policy.layout {
            for key in keys where layout.match(key, zone: policy.timeZone) == nil {
                throw StrataError(.configuration, "\(policy.sourcePath): upload key '\(key)' does not match the layout '\(layout)'; sweeps would not recognize it")
            }
        }
        return keys
    }

    /// Uploads `files` (after checking all of them exist), with the policy's storage class,
    /// a recorded checksum, and `If-None-Match: *`. `progress` hears each file's bytes done of its size.
    /// With `checkpoints`, multipart uploads cut short resume on the next run with the same
    /// `time` (see ``UploadCheckpoints``).
    public func upload(component: String, files: [String], time: Date, series: String? = nil,
                       checkpoints: UploadCheckpoints? = nil,
                       progress: (@Sendable (_ file: String, _ done: Int64, _ total: Int64) -> Void)? = nil) async throws -> [UploadResult] {
        let keys = try keys(component: component, files: files, time: time, series: series)
        for file in files where !FileManager.default.isReadableFile(atPath: file) {
            throw StrataError(.configuration, "\(file): no such readable file")
        }
        let policy = try context.requirePolicies().policy(named: component)
        var results: [UploadResult] = []
        for (file, key) in zip(files, keys) {
            let fileProgress: TransferProgressHandler? = progress.map { report in
                { @Sendable done, total in report(file, done, total) }
            }
            do {
                results.append(try await context.client.uploadFile(
                    bucket: context.bucket, key: key, path: file,
                    options: PutOptions(storageClass: policy?.upload.storageClass.rawValue, ifNoneMatch: true),
                    checkpoints: checkpoints, progress: fileProgress))
            } catch let error as S3Error where error.status == 412 {
                throw StrataError(.failure, "s3://\(context.bucket)/\(key) already exists; refusing to overwrite a backup")
            }
        }
        return results
    }
}
