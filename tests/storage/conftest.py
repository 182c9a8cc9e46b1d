from tests.storage.s3 import s3_endpoint, store  # noqa: F401
