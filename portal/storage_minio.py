"""The MinIO/S3 backend of the evidence store, from the `evidence_store` package."""
from evidence_store.s3 import MinioStore  # noqa: F401
