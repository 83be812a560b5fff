"""Forms with files (multipart/form-data), read a chunk at a time with a limit per part, so
that an upload never sits whole in memory and an oversized one is refused as it arrives."""

from __future__ import annotations

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import BadHttpMessage

CHUNK = 64 * 1024
PARTS = web.RequestKey("multipart", MultipartReader)
"""The form's reader once the CSRF middleware has read its first field (the token)."""


class UploadError(ValueError):
    """A form part too large or missing, in one line."""


MALFORMED = (ValueError, BadHttpMessage)
"""What aiohttp's multipart reader raises on a body it cannot read (no boundary, a part
that ends early, a control character in a part's header)."""


def _malformed(exc: Exception) -> UploadError:
    return UploadError(f"the form is not well-formed multipart ({exc.__class__.__name__})")


async def next_part(reader: MultipartReader) -> MultipartReader | BodyPartReader | None:
    """The form's next part (None after the last); UploadError when the body is malformed."""
    try:
        return await reader.next()
    except MALFORMED as exc:
        raise _malformed(exc) from None


async def skip_part(part: MultipartReader | BodyPartReader) -> None:
    """Read a part (or a nested form) to its end and drop it; UploadError when malformed."""
    try:
        await part.release()
    except MALFORMED as exc:
        raise _malformed(exc) from None


async def next_chunk(part: BodyPartReader) -> bytes:
    """The part's next chunk (b"" at its end); UploadError when the body is malformed."""
    try:
        return await part.read_chunk(CHUNK)
    except MALFORMED as exc:
        raise _malformed(exc) from None


async def form_reader(request: web.Request) -> MultipartReader:
    """The multipart form of the request, after the parts already read (the CSRF token)."""
    if PARTS in request:
        return request[PARTS]
    if request.content_type != "multipart/form-data":
        raise UploadError("send the form as multipart/form-data")
    try:
        return await request.multipart()
    except MALFORMED as exc:
        raise _malformed(exc) from None


async def read_part(part: BodyPartReader, limit: int) -> bytes:
    """A part's bytes, refused once it holds more than `limit`."""
    data = bytearray()
    while chunk := await next_chunk(part):
        data += chunk
        if len(data) > limit:
            raise UploadError(f"{part.name or 'a field'} is too large (at most {limit} bytes)")
    return bytes(data)


async def read_fields(request: web.Request, limits: dict[str, int]) -> dict[str, bytes]:
    """The named small parts of a form (each within its limit); other parts are skipped."""
    reader, fields = await form_reader(request), {}
    while (part := await next_part(reader)) is not None:
        if isinstance(part, BodyPartReader) and part.name in limits:
            fields[part.name] = await read_part(part, limits[part.name])
        else:
            await skip_part(part)
    return fields


async def first_field(request: web.Request, name: str, limit: int) -> str:
    """The first part of a multipart form, when it is the field `name` (the CSRF token comes
    first, as the form lists it): read here so that the rest stays a stream for the handler."""
    try:
        reader = await request.multipart()
        request[PARTS] = reader
        part = await next_part(reader)
        if not isinstance(part, BodyPartReader) or part.name != name:
            return ""
        return (await read_part(part, limit)).decode("utf-8", errors="replace")
    except (UploadError, *MALFORMED):
        return ""
