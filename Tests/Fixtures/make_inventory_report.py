#!/usr/bin/env python3
"""Writes an Amazon S3 Inventory report (CSV, manifest.json) of a bucket as it is now.

The local RGW does not produce inventory reports, so the tests make one the way S3 lays it out
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html):
  OUT/<source>/<config>/data/<uuid>.csv[.gz] and OUT/<source>/<config>/<YYYY-MM-DDTHH-MMZ>/manifest.json
Listed independently of Strata, with boto3. With --upload PREFIX the files are also put into the
bucket under PREFIX (keys then match the manifest). Prints the manifest's local path.
"""
import argparse, csv, datetime, gzip, hashlib, io, json, os, sys, time, urllib.parse, uuid

import boto3

p = argparse.ArgumentParser()
p.add_argument("endpoint")
p.add_argument("bucket")
p.add_argument("out")
p.add_argument("--config", default="nightly")
p.add_argument("--plain", action="store_true", help="uncompressed CSV")
p.add_argument("--versions", action="store_true", help="all versions (IncludedObjectVersions=All)")
p.add_argument("--created-hours-ago", type=float, default=0.0)
p.add_argument("--upload", metavar="PREFIX", help="also put the report into the bucket under PREFIX")
p.add_argument("--lock-columns", action="store_true", help="add the object-lock columns (empty)")
p.add_argument("--phantom", action="append", default=[], metavar="KEY",
               help="also list KEY, which the bucket does not hold (a stale or forged report); repeatable")
p.add_argument("--as-noncurrent-marker", action="append", default=[], metavar="KEY",
               help="with --versions, list KEY's latest data version as a noncurrent delete marker with the "
                    "same version id and time (a forged report); repeatable")
a = p.parse_args()

s3 = boto3.client("s3", endpoint_url=a.endpoint)
rows = []
if a.versions:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=a.bucket):
        for v in page.get("Versions", []):
            rows.append((v["Key"], v["VersionId"], v["IsLatest"], False, v["Size"], v["LastModified"], v["ETag"], v.get("StorageClass", "STANDARD")))
        for m in page.get("DeleteMarkers", []):
            rows.append((m["Key"], m["VersionId"], m["IsLatest"], True, None, m["LastModified"], None, None))
else:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=a.bucket):
        for o in page.get("Contents", []):
            rows.append((o["Key"], None, True, False, o["Size"], o["LastModified"], o["ETag"], o.get("StorageClass", "STANDARD")))

forged = set(a.as_noncurrent_marker)
rows = [(key, version, False, True, None, modified, None, None) if key in forged and latest and not marker
        else (key, version, latest, marker, size, modified, etag, klass)
        for key, version, latest, marker, size, modified, etag, klass in rows]

for key in a.phantom:
    rows.append((key, None, True, False, 1000, datetime.datetime.now(datetime.timezone.utc), "0" * 32, "STANDARD"))

columns = ["Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker", "Size", "LastModifiedDate", "ETag", "StorageClass"]
if a.lock_columns:
    columns += ["ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus"]
text = io.StringIO()
w = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
for key, version, latest, marker, size, modified, etag, klass in rows:
    row = [a.bucket, urllib.parse.quote_plus(key, safe=""), version or "", "true" if latest else "false",
           "true" if marker else "false", "" if size is None else str(size),
           modified.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
           (etag or "").strip('"'), klass or ""]
    if a.lock_columns:
        row += ["", "", "OFF"]
    w.writerow(row)
body = text.getvalue().encode()
if not a.plain:
    body = gzip.compress(body)

created = time.time() - a.created_hours_ago * 3600
stamp = datetime.datetime.fromtimestamp(created, datetime.timezone.utc).strftime("%Y-%m-%dT%H-%MZ")
base = f"{a.bucket}/{a.config}"
data_key = f"{base}/data/{uuid.uuid4()}.csv" + ("" if a.plain else ".gz")
manifest_key = f"{base}/{stamp}/manifest.json"
manifest = {
    "sourceBucket": a.bucket, "destinationBucket": f"arn:aws:s3:::{a.bucket}", "version": "2016-11-30",
    "creationTimestamp": str(int(created * 1000)), "fileFormat": "CSV", "fileSchema": ", ".join(columns),
    "files": [{"key": (a.upload.rstrip("/") + "/" if a.upload else "") + data_key, "size": len(body),
               "MD5checksum": hashlib.md5(body).hexdigest()}],
}
for rel, content in ((data_key, body), (manifest_key, json.dumps(manifest, indent=2).encode())):
    path = os.path.join(a.out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)
    if a.upload:
        s3.put_object(Bucket=a.bucket, Key=a.upload.rstrip("/") + "/" + rel, Body=content)
print(os.path.join(a.out, manifest_key))
