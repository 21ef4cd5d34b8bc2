"""Bucket chores for the pgBackRest round trip (Tests/OpsTests/PgBackRestRoundTripTests.swift),
done with boto3 so they are independent of Strata's own S3 client.

    s3.py ENDPOINT create BUCKET
    s3.py ENDPOINT keys BUCKET PREFIX            every key under PREFIX, one per line
    s3.py ENDPOINT delete-prefix BUCKET PREFIX   deletes every key under PREFIX, prints the count
    s3.py ENDPOINT destroy BUCKET                every version and upload, then the bucket

Keys and region come from the aws cli's environment (AWS_ACCESS_KEY_ID, ...).
"""
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3


def keys(s3, bucket, prefix):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    endpoint, command, bucket = argv[1], argv[2], argv[3]
    s3 = boto3.client("s3", endpoint_url=endpoint)
    if command == "create":
        s3.create_bucket(Bucket=bucket)
    elif command == "keys":
        for key in keys(s3, bucket, argv[4]):
            print(key)
    elif command == "delete-prefix":
        found = list(keys(s3, bucket, argv[4]))
        for start in range(0, len(found), 1000):
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in found[start:start + 1000]]})
            if answer.get("Errors"):
                sys.exit(f"delete failed: {answer['Errors'][:3]}")
        print(len(found))
    elif command == "destroy":
        # Every version and delete marker, in batches of 250 deleted four at a time (a
        # pgBackRest repository is thousands of small objects; one batch at a time takes long).
        batches = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            ids = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                   for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            batches += [ids[i:i + 250] for i in range(0, len(ids), 250)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda batch: s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True}), batches))
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for upload in page.get("Uploads", []):
                s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        s3.delete_bucket(Bucket=bucket)
    else:
        sys.exit(f"unknown command {command!r}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
