"""Photos as evidence (随手拍, issue 14 item 3): uploaded by the GraphQL multipart request spec,
judged by content, cleaned of EXIF, kept by hash, served only to who may see what they show,
and sealed into the dossier by their hashes."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

from PIL import ExifTags, Image

from tests.api.helpers import Client, World, create_consultation, residents

PHOTO = "photo { id format sha256 phoneSha256 width height byteSize url phoneUrl attached }"
UPLOAD = "mutation($file: Upload!) { uploadPhoto(file: $file) { " + PHOTO + " errors { field code message } } }"


def picture(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), *, gps: bool = False, turned: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    image.putpixel((0, 0), (0, 0, 255))
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "ShotPhone"
        exif[ExifTags.Base.Model] = "ShotPhone 12 Pro"
        if turned:
            exif[ExifTags.Base.Orientation] = 6  # stored sideways: shown rotated 90° clockwise
        if gps:
            exif[ExifTags.IFD.GPSInfo] = {
                ExifTags.GPS.GPSLatitudeRef: "N",
                ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),
                ExifTags.GPS.GPSLongitudeRef: "E",
                ExifTags.GPS.GPSLongitude: (116.0, 23.0, 50.0),
            }
        image.save(out, "JPEG", exif=exif, quality=90)
    else:
        image.save(out, fmt)
    return out.getvalue()


async def upload(client: Client, data: bytes, name: str = "photo.jpg", media: str = "image/jpeg") -> dict:
    headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
    if client.lang:
        headers["Accept-Language"] = client.lang
    response = await client.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (name, data, media)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["uploadPhoto"]


async def uploaded(client: Client, data: bytes | None = None, **kw) -> dict:
    payload = await upload(client, data if data is not None else picture(), **kw)
    assert payload["errors"] == [], payload["errors"]
    return payload["photo"]


async def fetch(client: Client, url: str) -> tuple[int, bytes, dict]:
    headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
    response = await client.http.get(url, headers=headers)
    return response.status_code, response.content, dict(response.headers)


def kept_files(settings) -> set[str]:
    root = Path(settings.photo_dir)
    return {p.name for p in root.glob("??/??/*")} if root.exists() else set()


async def photo_rows(world: World) -> int:
    data = await world.admin.query("{ consultations(first: 100) { totalCount } }")
    assert data is not None
    from consult.models import Photo

    return await Photo.all().count()


async def test_a_jpeg_with_gps_comes_back_without_any_exif_and_upright(world: World):
    # given a phone photo that carries its GPS position and camera, stored sideways
    raw = picture(gps=True, turned=True, size=(64, 48))
    assert b"ShotPhone" in raw and Image.open(io.BytesIO(raw)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    # when the CPPCC member uploads it
    photo = await uploaded(world.cppcc, raw)
    # then the kept picture is a JPEG turned upright, with no EXIF at all: no position, no phone
    assert photo["format"] == "JPEG" and (photo["width"], photo["height"]) == (48, 64)
    status, body, headers = await fetch(world.cppcc, photo["url"])
    assert status == 200 and headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(body).hexdigest() == photo["sha256"]
    kept = Image.open(io.BytesIO(body))
    assert len(kept.getexif()) == 0 and b"Exif" not in body and b"ShotPhone" not in body
    assert "exif" not in kept.info and "xmp" not in kept.info
    # and the phone-sized copy is a clean JPEG too
    status, phone, headers = await fetch(world.cppcc, photo["phoneUrl"])
    assert status == 200 and headers["content-type"] == "image/jpeg" and b"Exif" not in phone
    assert hashlib.sha256(phone).hexdigest() == photo["phoneSha256"]


async def test_a_large_photo_gets_a_phone_sized_copy(world: World):
    photo = await uploaded(world.cppcc, picture(size=(3000, 2000)))
    assert (photo["width"], photo["height"]) == (2560, 1707)
    status, phone, _ = await fetch(world.cppcc, photo["phoneUrl"])
    assert status == 200 and Image.open(io.BytesIO(phone)).size == (1080, 720)


async def test_a_png_named_jpg_is_judged_by_its_content(world: World):
    photo = await uploaded(world.cppcc, picture("PNG"), name="现场.jpg", media="image/jpeg")
    assert photo["format"] == "PNG"
    status, body, headers = await fetch(world.cppcc, photo["url"])
    assert status == 200 and headers["content-type"] == "image/png" and body.startswith(b"\x89PNG")
    assert headers["x-content-type-options"] == "nosniff"


async def test_webp_is_accepted(world: World):
    photo = await uploaded(world.cppcc, picture("WEBP"), name="a.webp", media="image/webp")
    assert photo["format"] == "WEBP"


async def test_a_text_file_named_jpg_is_refused_in_the_users_language(world: World, settings):
    before = kept_files(settings)
    payload = await upload(world.cppcc, b"<html><script>alert(1)</script></html>" * 10, name="photo.jpg")
    assert payload["photo"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", "INVALID")]
    assert "JPEG、PNG 或 WebP" in payload["errors"][0]["message"]
    english = await upload(world.cppcc.as_(world.cppcc.token, "en"), b"GIF89a" + b"\0" * 100, name="x.jpg")
    assert "Only JPEG, PNG or WebP" in english["errors"][0]["message"]
    assert kept_files(settings) == before


async def test_a_broken_jpeg_is_refused(world: World):
    raw = picture(size=(400, 300))
    payload = await upload(world.cppcc, raw[: len(raw) // 2])
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", "INVALID")]
    assert "损坏" in payload["errors"][0]["message"]


async def test_a_12_mb_upload_is_refused_with_nothing_stored(world: World, settings):
    before_files, before_rows = kept_files(settings), await photo_rows(world)
    # a real JPEG start, padded out to 12 MB
    raw = picture() + os.urandom(12 * 1024 * 1024)
    payload = await upload(world.cppcc, raw)
    assert payload["photo"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", "INVALID")]
    assert "10 MB" in payload["errors"][0]["message"]
    assert kept_files(settings) == before_files and await photo_rows(world) == before_rows


async def test_signed_out_uploads_are_refused(world: World):
    payload = await upload(world.anon, picture())
    assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]


async def test_a_cross_site_form_cannot_upload(world: World):
    response = await world.anon.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("a.jpg", picture(), "image/jpeg")},
        headers={"Authorization": f"Bearer {world.cppcc.token}", "Origin": "https://evil.example"},
    )
    assert response.status_code == 403 and response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_unattached_photo_is_seen_by_its_uploader_only(world: World):
    photo = await uploaded(world.cppcc, picture())
    assert photo["attached"] is False
    assert (await fetch(world.cppcc, photo["url"]))[0] == 200
    assert (await fetch(world.organizer, photo["url"]))[0] == 404
    assert (await fetch(world.anon, photo["url"]))[0] == 404
    assert (await fetch(world.anon, "/photos/not-an-id"))[0] == 404


async def test_a_photo_of_a_draft_consultation_is_refused_to_a_resident(world: World):
    # given an organizer's site photo on a consultation still in DRAFT
    cid = await create_consultation(world, stage="DRAFT")
    photo = await uploaded(world.organizer, picture())
    added = await world.organizer.ok(
        "addConsultationPhotos", {"consultationId": cid, "photoIds": [photo["id"]]}, "consultation { photos { id } }"
    )
    assert added["consultation"]["photos"] == [{"id": photo["id"]}]
    # and a resident signed in with a slip of another, published consultation
    other = await create_consultation(world, stage="COLLECTING", title="另一条巷子")
    (resident,) = await residents(world, other, ["1号楼101"])
    # then the resident, the signed-out and a party rep get nothing; the organizer and convener see it
    for outsider in (resident, world.anon, world.reps["market"]):
        assert (await fetch(outsider, photo["url"]))[0] == 404
        assert (await fetch(outsider, photo["phoneUrl"]))[0] == 404
    assert (await fetch(world.organizer, photo["url"]))[0] == 200
    assert (await fetch(world.cppcc, photo["url"]))[0] == 200
    # and once the consultation is published, everyone who sees it sees its photo
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "COLLECTING"}, "consultation { stage }")
    assert (await fetch(resident, photo["url"]))[0] == 200


async def test_a_demand_carries_its_photos_and_the_trail_their_hashes(world: World):
    cid = await create_consultation(world, stage="COLLECTING")
    (resident,) = await residents(world, cid, ["3号楼201"])
    first, second = await uploaded(resident, picture()), await uploaded(resident, picture("PNG"), name="b.png")
    made = await resident.ok(
        "submitDemand",
        {"consultationId": cid, "title": "巷口积水", "body": "下雨就积水", "photoIds": [first["id"], second["id"]]},
        "demand { id photos { id sha256 attached } }",
    )
    assert [p["id"] for p in made["demand"]["photos"]] == [first["id"], second["id"]]
    assert all(p["attached"] for p in made["demand"]["photos"])
    # a replay naming the same photo again is refused, and writes no second demand
    again = await resident.mutate(
        "submitDemand", {"consultationId": cid, "title": "巷口积水", "body": "再报一次", "photoIds": [first["id"]]}, ""
    )
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("photoIds.0", "INVALID")]
    data = await world.anon.query("query($id: ID!) { consultation(id: $id) { demands { totalCount } } }", {"id": cid})
    assert data["consultation"]["demands"]["totalCount"] == 1
    # and the chained trail keeps the photos' hashes with the demand
    from consult.models import AuditEvent

    event = await AuditEvent.get(action="demand.submit")
    payload = json.loads(event.payload) if isinstance(event.payload, str) else event.payload
    assert [p["sha256"] for p in payload["photos"]] == [first["sha256"], second["sha256"]]


async def test_someone_elses_photo_cannot_be_attached(world: World):
    cid = await create_consultation(world, stage="COLLECTING")
    theirs = await uploaded(world.cppcc, picture())
    payload = await world.organizer.mutate(
        "submitDemand",
        {"consultationId": cid, "title": "路灯不亮", "body": "晚上很黑", "photoIds": [theirs["id"]]},
        "demand { id }",
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("photoIds.0", "INVALID")]
    assert payload["demand"] is None


async def test_at_most_six_photos_per_item(world: World):
    cid = await create_consultation(world, stage="COLLECTING")
    ids = [(await uploaded(world.organizer, picture(size=(20 + i, 20))))["id"] for i in range(7)]
    payload = await world.organizer.mutate(
        "submitDemand", {"consultationId": cid, "title": "t", "body": "b", "photoIds": ids}, "demand { id }"
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("photoIds", "INVALID")]
    assert "6" in payload["errors"][0]["message"]


async def _works(world: World) -> tuple[str, str, str]:
    """A consultation IMPLEMENTING with a milestone the market answers for, and a finding on it."""
    cid = await create_consultation(world, stage="IMPLEMENTING")
    milestone = await world.organizer.ok(
        "addMilestone",
        {
            "consultationId": cid,
            "title": "排水沟开挖",
            "kind": "CONSTRUCTION",
            "responsiblePartyId": world.parties["market"],
            "plannedEnd": "2030-01-01T00:00:00Z",
        },
        "milestone { id }",
    )
    shot = await uploaded(world.cppcc, picture(gps=True))
    inspection = await world.cppcc.ok(
        "recordInspection",
        {
            "consultationId": cid,
            "visitedAt": "2026-12-01T09:00:00Z",
            "notes": "沟边未设护栏",
            "findings": [
                {
                    "category": "SAFETY",
                    "description": "沟边未设护栏",
                    "responsiblePartyId": world.parties["market"],
                    "dueAt": "2030-01-01T00:00:00Z",
                    "expectedOutcome": "设置护栏",
                    "photoIds": [shot["id"]],
                }
            ],
        },
        "inspection { findings { id photos { sha256 } } }",
    )
    finding = inspection["inspection"]["findings"][0]
    assert finding["photos"] == [{"sha256": shot["sha256"]}]
    return cid, milestone["milestone"]["id"], finding["id"]


async def test_reps_report_fixes_and_progress_with_photos_and_the_dossier_seals_their_hashes(world: World):
    cid, milestone_id, finding_id = await _works(world)
    rep = world.reps["market"]
    fix = await uploaded(rep, picture(size=(80, 60)))
    fixed = await rep.ok(
        "updateFinding",
        {"findingId": finding_id, "status": "RESOLVED", "resolution": "护栏已装", "photoIds": [fix["id"]]},
        "finding { status fixPhotos { id sha256 } photos { id } }",
    )
    assert fixed["finding"]["status"] == "RESOLVED" and fixed["finding"]["fixPhotos"][0]["id"] == fix["id"]
    progress = await uploaded(rep, picture("WEBP"), name="p.webp", media="image/webp")
    reported = await rep.ok(
        "updateMilestone",
        {"milestoneId": milestone_id, "progress": 100, "note": "完工", "photoIds": [progress["id"]]},
        "milestone { updates { note photos { id } } }",
    )
    assert reported["milestone"]["updates"][-1]["photos"] == [{"id": progress["id"]}]
    # another party's rep may not report on the market's finding, photo or not
    other = await uploaded(world.reps["street"], picture())
    refused = await world.reps["street"].mutate(
        "updateFinding",
        {"findingId": finding_id, "status": "RESOLVED", "resolution": "x", "photoIds": [other["id"]]},
        "finding { id }",
    )
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert (await fetch(world.reps["street"], other["url"]))[0] == 200  # still theirs, unattached
    await world.cppcc.ok("updateFinding", {"findingId": finding_id, "status": "VERIFIED"}, "finding { id }")
    # when the consultation is evaluated and archived
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "EVALUATING"}, "consultation { stage }")
    await world.organizer.ok("archiveConsultation", {"consultationId": cid}, "consultation { stage }")
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { dossier { document sha256 } } }", {"id": cid}
    )
    document = data["consultation"]["dossier"]["document"]
    document = json.loads(document) if isinstance(document, str) else document
    listed = {p["id"]: p for p in document["photos"]}
    assert set(listed) >= {fix["id"], progress["id"]} and len(listed) == 3
    # then every listed hash is the hash of the file served for it, to anyone who sees the dossier
    for photo_id, entry in listed.items():
        status, body, _ = await fetch(world.anon, f"/photos/{photo_id}")
        assert status == 200 and hashlib.sha256(body).hexdigest() == entry["sha256"]
        status, body, _ = await fetch(world.anon, f"/photos/{photo_id}/phone")
        assert status == 200 and hashlib.sha256(body).hexdigest() == entry["phoneSha256"]
    # and the printable dossier lists them
    page = await world.anon.http.get(f"/dossiers/{cid}.html")
    assert "照片证据" in page.text and fix["sha256"] in page.text
    # and nothing can be added to the sealed record
    late = await uploaded(world.organizer, picture())
    refused = await world.organizer.mutate(
        "addConsultationPhotos", {"consultationId": cid, "photoIds": [late["id"]]}, "consultation { id }"
    )
    assert [e["code"] for e in refused["errors"]] == ["WRONG_STAGE"]
    assert "只能查看" in refused["errors"][0]["message"] or "封存" in refused["errors"][0]["message"]


async def test_uploads_nobody_attached_within_a_day_are_forgotten_with_their_files(world: World, settings):
    from datetime import UTC, datetime, timedelta

    from consult.models import Photo
    from consult.services.base import ServiceContext
    from consult.services.photos import sweep

    cid = await create_consultation(world, stage="COLLECTING")
    kept = await uploaded(world.organizer, picture(size=(30, 31)))
    await world.organizer.ok(
        "submitDemand", {"consultationId": cid, "title": "t", "body": "b", "photoIds": [kept["id"]]}, "demand { id }"
    )
    left = await uploaded(world.organizer, picture(size=(33, 34)))
    # given a day has passed, and the files were written over an hour ago
    root = Path(settings.photo_dir)
    for path in root.glob("??/??/*"):
        old = datetime.now(UTC).timestamp() - 7200
        os.utime(path, (old, old))
    later = ServiceContext(settings=settings, clock=lambda: datetime.now(UTC) + timedelta(hours=25))
    # when the sweep runs
    assert await sweep(later) >= 1
    # then the unattached upload and its files are gone; the attached photo and its files stay
    names = kept_files(settings)
    assert left["sha256"] not in names and left["phoneSha256"] not in names
    assert kept["sha256"] in names and kept["phoneSha256"] in names
    assert await Photo.filter(sha256=left["sha256"]).count() == 0
    assert (await fetch(world.organizer, kept["url"]))[0] == 200
