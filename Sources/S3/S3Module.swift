/// The S3 client library.
public enum S3Module {}
