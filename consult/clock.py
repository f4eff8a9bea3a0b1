"""Time: stored in UTC, returned with an offset, shown in Asia/Shanghai (UTC+8, no DST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from consult.errors import Invalid

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoryClock:
    """For the demo's stories: a clock that moves on a fixed step at each reading, and jumps."""

    def __init__(self, start: datetime, minutes: float = 37) -> None:
        self.at = start
        self.step = timedelta(minutes=minutes)

    def __call__(self) -> datetime:
        self.at += self.step
        return self.at

    def jump(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def parse_datetime(value: object, field: str | None = None) -> datetime:
    """ISO 8601 text to an aware UTC datetime. A time without offset is read as Beijing time."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            # A date left blank in a form: say it is missing, not that its format is wrong.
            raise Invalid("date_required", field)
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise Invalid("bad_datetime", field) from None
    else:
        raise Invalid("bad_datetime", field)
    if not 1970 <= parsed.year <= 2200:
        # Far dates overflow when converted between zones, and no consultation needs them.
        raise Invalid("bad_datetime", field)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    in_utc = parsed.astimezone(UTC)
    # The bounds hold for the instant, not only for how it was written: 1970-01-01T00:00+14:00
    # is still 1969 in UTC.
    if not 1970 <= in_utc.year <= 2200:
        raise Invalid("bad_datetime", field)
    return in_utc


def to_api(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI).isoformat()
