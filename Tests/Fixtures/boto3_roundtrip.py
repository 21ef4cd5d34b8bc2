"""An independent S3 round trip with boto3: create bucket, put, head, list, get, delete.

Used by the test suite to prove a local server really serves S3, independently of Strata's own
client. Reads endpoint and keys from the environment (tools/s3-server env); prints one JSON
object describing what the server answered at each step.
"""
import json
import os
import sys
import uuid

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
bucket = "strata-roundtrip-" + uuid.uuid4().hex[:8]
key = "dir/with space/ü+%=~.bin"
body = os.urandom(4096)
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=os.environ["STRATA_TEST_ACCESS_KEY"],
    aws_secret_access_key=os.environ["STRATA_TEST_SECRET_KEY"],
    region_name=os.environ["STRATA_TEST_REGION"],
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
result = {}
s3.create_bucket(Bucket=bucket)
try:
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    head = s3.head_object(Bucket=bucket, Key=key)
    result["head_length"] = head["ContentLength"]
    listing = s3.list_objects_v2(Bucket=bucket)
    result["listed_keys"] = [o["Key"] for o in listing.get("Contents", [])]
    got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    result["get_matches"] = got == body
    s3.delete_object(Bucket=bucket, Key=key)
    after = s3.list_objects_v2(Bucket=bucket)
    result["after_delete"] = [o["Key"] for o in after.get("Contents", [])]
finally:
    for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=o["Key"])
    s3.delete_bucket(Bucket=bucket)
result["key"] = key
print(json.dumps(result))
