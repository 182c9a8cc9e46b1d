"""The portal's name for the evidence store: the interface, the local-folder backend and
`make_store` live in the `evidence_store` package (no Flask), shared with the media service."""
from evidence_store import (  # noqa: F401
    CHUNK_SIZE,
    KEY_RE,
    MAX_PRESIGN_SECONDS,
    PART_SIZE,
    PARTIAL_SUFFIX,
    HashingReader,
    IncompleteUpload,
    LocalStore,
    ObjectInfo,
    ObjectMissing,
    ObjectTooLarge,
    Store,
    StoredObject,
    StoreError,
    StoreUnavailable,
    check_key,
    evidence_key,
    log,
    make_store,
)
