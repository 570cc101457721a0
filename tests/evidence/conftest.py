"""Fixtures of the evidence tests: a real S3-compatible server (moto's, in a thread).

``s3_server`` starts one per test process on 127.0.0.1, on a port the system picks
(a fixed port taken by another run on the machine made moto's server thread fail to bind
while the fixture waited for it for ever); ``s3_store`` gives a test an empty bucket of its own and makes the
application's blob store the S3 one; ``evidence_store`` runs a test once per store
(``local``, ``s3``).
"""
from __future__ import annotations

import os
import uuid

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "zeren-test", "AWS_SECRET_ACCESS_KEY": "zeren-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
               "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint URL of an S3-compatible server running in this process."""
    moto_server = pytest.importorskip("moto.server")  # the test extra installs moto[server] and boto3
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)  # boto3's chain reads them, as in production
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def use_s3(app, endpoint: str, bucket: str, **settings) -> None:
    """Point ``app``'s evidence at ``bucket`` on ``endpoint`` (the store is built anew)."""
    app.config.update({"EVIDENCE_STORE": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket,
                       "S3_PREFIX": "zeren/", "S3_REGION": "us-east-1", "S3_CONNECT_TIMEOUT": 1,
                       "S3_READ_TIMEOUT": 2, "S3_MAX_ATTEMPTS": 2, **settings})
    app.extensions.pop("zeren.blob_store", None)


@pytest.fixture
def s3_store(app, s3_server):
    """A fresh bucket, made the application's evidence store; returns (client, bucket)."""
    import boto3

    bucket = f"zeren-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    use_s3(app, s3_server, bucket)
    yield client, bucket
    app.extensions.pop("zeren.blob_store", None)


@pytest.fixture(params=["local", "s3"])
def evidence_store(request, app):
    """Run the test with the bureau folders, then with the S3 store."""
    if request.param == "s3":
        request.getfixturevalue("s3_store")
    return request.param


def bucket_keys(client, bucket: str) -> list[str]:
    """Every key in ``bucket``."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(entry["Key"] for page in pages for entry in page.get("Contents", ()))
