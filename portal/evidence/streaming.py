"""Reading a multipart upload straight from the request body, without spooling the file.

Werkzeug's form parser writes large files to a temporary file before the view runs; for
evidence that is up to 500 MB, twice. Here the body is parsed as it arrives: the small form
fields that come before the file are collected, and the file itself is handed over as a
`FileStorage` whose stream reads the next bytes of the body on demand, so the store receives
them chunk by chunk. The file input must therefore be the LAST field of the form (browsers send
fields in document order); fields after the first file are ignored.
"""
from __future__ import annotations

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

from portal.storage import CHUNK_SIZE

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 50


class _PartReader:
    """The bytes of the current file part, pulled from the request body as they are read.

    A read may return fewer bytes than asked for (as a socket does); the parser's chunks are
    handed on without copying them again.
    """

    def __init__(self, form: StreamedForm):
        self._form = form
        self._pending = b""
        self._done = False

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = CHUNK_SIZE
        while not self._pending and not self._done:
            event = self._form.next_event()
            if isinstance(event, Data):
                self._pending = event.data
                if not event.more_data:
                    self._done = True
            else:  # the part ended without a final Data event
                self._done = True
        if len(self._pending) <= n:
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._done = True
        self._pending = b""


class StreamedForm:
    """A multipart body parsed incrementally from `stream`."""

    def __init__(self, stream, boundary: bytes, chunk_size: int = CHUNK_SIZE):
        self._stream = stream
        # Field sizes are capped below; the buffer holds at most one chunk of the body.
        self._decoder = MultipartDecoder(boundary, max_parts=MAX_FIELDS + 1)
        self._chunk_size = chunk_size
        self._eof = False

    def next_event(self):
        """The next parser event, reading more of the body when the parser needs it."""
        while True:
            try:
                event = self._decoder.next_event()
            except ValueError as exc:
                raise BadRequest("malformed multipart body") from exc
            if not isinstance(event, NeedData):
                return event
            if self._eof:
                raise BadRequest("the upload ended early")
            chunk = self._stream.read(self._chunk_size)
            if not chunk:
                self._eof = True
                self._decoder.receive_data(None)
            else:
                self._decoder.receive_data(chunk)

    def fields_and_first_file(self) -> MultiDict:
        """Form fields up to the first file, plus that file (lazy) under its field name."""
        data: MultiDict = MultiDict()
        name = None
        value = bytearray()
        while True:
            event = self.next_event()
            if isinstance(event, Field):
                name, value = event.name, bytearray()
                if len(data) >= MAX_FIELDS:
                    raise BadRequest("too many form fields")
            elif isinstance(event, File):
                headers = Headers(event.headers)
                data.add(event.name, FileStorage(
                    stream=_PartReader(self), filename=event.filename, name=event.name,
                    content_type=headers.get("Content-Type"), headers=headers))
                return data
            elif isinstance(event, Data):
                value += event.data
                if len(value) > MAX_FIELD_BYTES:
                    raise RequestEntityTooLarge()
                if not event.more_data and name is not None:
                    data.add(name, value.decode("utf-8", "replace"))
                    name = None
            elif isinstance(event, Epilogue):
                return data


def streamed_form(request) -> MultiDict:
    """Parse the request's multipart body as it streams in (see the module docstring).

    Set `request.max_content_length` before calling, when the view's limit differs from the
    application's.
    """
    mimetype, options = request.mimetype, request.mimetype_params
    boundary = options.get("boundary", "").encode("latin-1")
    if mimetype != "multipart/form-data" or not boundary:
        raise BadRequest("a multipart/form-data body is expected")
    return StreamedForm(request.stream, boundary).fields_and_first_file()
