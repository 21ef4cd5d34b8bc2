import SigV4

/// Object tags: how they are written in the `x-amz-tagging` header and in `Tagging` XML.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html>.
public enum TagSet {
    /// `k1=v1&k2=v2`, URL-encoded, in key order.
    public static func queryString(_ tags: [String: String]) -> String {
        URIEncoding.query(tags.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
    }

    static func xml(_ tags: [String: String]) -> String {
        var writer = XMLWriter()
        writer.element("Tagging", namespace: true) { xml in
            xml.element("TagSet") { xml in
                for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
                    xml.element("Tag") { xml in
                        xml.element("Key", text: key)
                        xml.element("Value", text: value)
                    }
                }
            }
        }
        return writer.output
    }

    package static func parse(_ xml: XMLNode) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in xml.child("TagSet")?.children("Tag") ?? [] {
            if let key = tag.string("Key") { tags[key] = tag.string("Value") ?? "" }
        }
        return tags
    }
}
