"""Photos as evidence (随手拍): what comes in is judged by its content, re-encoded, and shrunk.

Nothing of the uploaded file is kept as it came. Pillow decodes it (JPEG, PNG or WebP only,
whatever the name says), the picture is turned upright by its EXIF orientation, and it is
written out again with no metadata at all: no EXIF (no GPS position, no phone model, no time),
no XMP, no comments, no colour profile. Beside it goes a phone-sized JPEG for lists and slow
networks. Pure functions of the bytes, no I/O, so they run in a worker thread.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# What is accepted, by what the bytes are, and the type each is served as.
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_INPUT_BYTES = 10 * 1024 * 1024
# A photo from a phone is 12–50 megapixels; more is a decompression bomb, not evidence.
MAX_PIXELS = 60_000_000
# The kept picture's longest side, and the phone version's.
FULL_SIDE = 2560
PHONE_SIDE = 1080


class ImageRefused(Exception):
    """The upload is not a photo we keep: `key` names the message (consult.messages)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int
    media_type: str


@dataclass(frozen=True)
class Processed:
    format: str  # what the upload was: JPEG, PNG or WEBP
    full: Rendition
    phone: Rendition


def _decode(raw: bytes) -> Image.Image:
    if not raw:
        raise ImageRefused("photo_empty")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=list(MEDIA_TYPES))
        except UnidentifiedImageError as error:
            raise ImageRefused("photo_wrong_type") from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRefused("photo_too_many_pixels") from error
        if image.width * image.height > MAX_PIXELS:
            raise ImageRefused("photo_too_many_pixels")
        try:
            image.load()  # the first frame of an animation; the rest is dropped
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            raise ImageRefused("photo_broken") from error
    return image


def _upright(image: Image.Image) -> Image.Image:
    try:
        turned = ImageOps.exif_transpose(image)
    except Exception:  # a broken orientation tag: keep the picture as it is stored
        turned = image
    return turned if turned is not None else image


def _plain(image: Image.Image, keep_alpha: bool) -> Image.Image:
    """RGB (or RGBA where it can be kept, or L for greyscale): no palette, no CMYK, no 16-bit."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        if keep_alpha:
            return rgba
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode == "L":
        return image
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile=, pnginfo= or xmp= arguments: nothing of the original's metadata is written.
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=False, compress_level=6)
    else:
        image.save(out, "WEBP", quality=85, method=4)
    return out.getvalue()


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def process(raw: bytes) -> Processed:
    """Judge, clean and shrink one upload; ImageRefused says why it is not kept."""
    if len(raw) > MAX_INPUT_BYTES:
        raise ImageRefused("photo_too_large")
    image = _decode(raw)
    fmt = image.format or ""
    if fmt not in MEDIA_TYPES:
        raise ImageRefused("photo_wrong_type")
    upright = _upright(image)
    full = _shrunk(_plain(upright, keep_alpha=fmt != "JPEG"), FULL_SIDE)
    phone = _shrunk(_plain(upright, keep_alpha=False), PHONE_SIDE)
    return Processed(
        format=fmt,
        full=Rendition(_encode(full, fmt), full.width, full.height, MEDIA_TYPES[fmt]),
        phone=Rendition(_encode(phone, "JPEG"), phone.width, phone.height, MEDIA_TYPES["JPEG"]),
    )
