"""Photos as evidence (随手拍): the Photo type and the upload mutation's field."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from consult import models
from consult.domain.vocabulary import PhotoFormat
from consult.ids import to_global_id
from consult.policies import gate
from consult.services import photos
from consult.services.base import ServiceContext
from schema.context import Info
from schema.enums import graphql_enum

graphql_enum(PhotoFormat, description="What an uploaded photo was, judged by its content (not its name).")


@strawberry.type(
    description=(
        "A photo as evidence (随手拍), re-encoded with no EXIF or other metadata (no GPS position). "
        "Served at `url` (the kept picture) and `phoneUrl` (a JPEG at most 1080 px on its longest side), "
        "only to those who may see what it shows: its uploader until it is attached, then whoever sees "
        "its consultation."
    )
)
class Photo:
    m: strawberry.Private[models.Photo]

    @strawberry.field(description="Opaque global ID; name it in `photoIds` to attach the photo.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Photo", self.m.id))

    @strawberry.field(description="What the upload was, judged by its content.")
    def format(self) -> PhotoFormat:
        return PhotoFormat(self.m.format)

    @strawberry.field(description="SHA-256 of the kept file's bytes, as served at `url` and listed in the dossier.")
    def sha256(self) -> str:
        return self.m.sha256

    @strawberry.field(description="SHA-256 of the phone-sized file served at `phoneUrl`.")
    def phone_sha256(self) -> str:
        return self.m.phone_sha256

    @strawberry.field(description="Size of the kept file in bytes.")
    def byte_size(self) -> int:
        return self.m.byte_size

    @strawberry.field(description="Width of the kept picture in pixels, after turning it upright.")
    def width(self) -> int:
        return self.m.width

    @strawberry.field(description="Height of the kept picture in pixels.")
    def height(self) -> int:
        return self.m.height

    @strawberry.field(description="Where the kept picture is served (same origin).")
    def url(self) -> str:
        return f"/photos/{to_global_id('Photo', self.m.id)}"

    @strawberry.field(description="Where the phone-sized JPEG is served (same origin).")
    def phone_url(self) -> str:
        return f"/photos/{to_global_id('Photo', self.m.id)}/phone"

    @strawberry.field(description="When it was uploaded.")
    def uploaded_at(self) -> datetime:
        return self.m.uploaded_at

    @strawberry.field(description="Whether it goes with something yet; until then only its uploader sees it.")
    def attached(self) -> bool:
        return self.m.subject_kind is not None


async def photos_of(info: Info, kind: str, subject_id: int) -> list[Photo]:
    rows = await info.context.loaders.photos_by_subject.load((kind, subject_id))
    return [Photo(m=row) for row in rows]


async def upload(ctx: ServiceContext, file: Upload) -> models.Photo:
    """Read the multipart file within the cap, then keep it (consult.services.photos)."""
    gate(ctx.actor, "photo.upload", "file")  # before reading 10 MB from someone who may not upload
    raw = await photos.read_limited(file)
    return await photos.upload_photo(ctx, raw)
