"""Forms with files (multipart/form-data), read a chunk at a time with a limit per part, so
that an upload never sits whole in memory and an oversized one is refused as it arrives."""

from __future__ import annotations

from aiohttp import BodyPartReader, MultipartReader, web

CHUNK = 64 * 1024
PARTS = web.RequestKey("multipart", MultipartReader)
"""The form's reader once the CSRF middleware has read its first field (the token)."""


class UploadError(ValueError):
    """A form part too large or missing, in one line."""


async def form_reader(request: web.Request) -> MultipartReader:
    """The multipart form of the request, after the parts already read (the CSRF token)."""
    if PARTS in request:
        return request[PARTS]
    if request.content_type != "multipart/form-data":
        raise UploadError("send the form as multipart/form-data")
    return await request.multipart()


async def read_part(part: BodyPartReader, limit: int) -> bytes:
    """A part's bytes, refused once it holds more than `limit`."""
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > limit:
            raise UploadError(f"{part.name or 'a field'} is too large (at most {limit} bytes)")
    return bytes(data)


async def read_fields(request: web.Request, limits: dict[str, int]) -> dict[str, bytes]:
    """The named small parts of a form (each within its limit); other parts are skipped."""
    reader, fields = await form_reader(request), {}
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name in limits:
            fields[part.name] = await read_part(part, limits[part.name])
        else:
            await part.release()
    return fields


async def first_field(request: web.Request, name: str, limit: int) -> str:
    """The first part of a multipart form, when it is the field `name` (the CSRF token comes
    first, as the form lists it): read here so that the rest stays a stream for the handler."""
    reader = await request.multipart()
    request[PARTS] = reader
    part = await reader.next()
    if not isinstance(part, BodyPartReader) or part.name != name:
        return ""
    try:
        return (await read_part(part, limit)).decode("utf-8", errors="replace")
    except UploadError:
        return ""
