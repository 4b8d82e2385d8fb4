"""The carriers, areas and shipping fee tables, read from a data file the host can edit.

The shipped defaults live in ``data/catalogue.json``; set ``CHANNELHUB_BIGBUY_CATALOGUE`` to
the path of your own copy to change carriers, areas or fees without touching code. The file is
validated when loaded, and a mistake names the offending field.

An *area* is a set of countries, optionally narrowed to postcode ranges (Spain's mainland,
Balearics and Canaries are one country, three areas). A destination belongs to the first area
in file order that matches it. A postcode range compares the leading characters of the
normalised postcode with ``from``/``to`` of the same length, so ``{"from": "07", "to": "07"}``
is every postcode starting 07. An area with ranges never matches a destination without a
postcode: we cannot tell an island from the mainland without it.

A *fee band* prices one carrier service in one area, either by weight (the first band whose
``max_kg`` covers the parcel) or by order (one flat band). A carrier serves an area when it has
a band there; a parcel heavier than every weight band is not served.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from core.api import Carrier, CarrierService, Destination, InputError, Money, RateQuote

DEFAULT_PATH = Path(__file__).parent / "data" / "catalogue.json"
PATH_ENV = "CHANNELHUB_BIGBUY_CATALOGUE"


class ServiceEntry(BaseModel):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)


class CarrierEntry(BaseModel):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    tracking: bool = True
    services: list[ServiceEntry] = Field(min_length=1)


class PostcodeRange(BaseModel):
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)

    @field_validator("from_", "to")
    @classmethod
    def _normalised(cls, value: str) -> str:
        return normalise_postcode(value) or value

    @model_validator(mode="after")
    def _same_length(self) -> PostcodeRange:
        if len(self.from_) != len(self.to) or self.from_ > self.to:
            raise ValueError("'from' and 'to' must have the same length and from <= to")
        return self

    def contains(self, postcode: str) -> bool:
        head = postcode[: len(self.from_)]
        return len(head) == len(self.from_) and self.from_ <= head <= self.to


class AreaEntry(BaseModel):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    countries: list[str] = Field(min_length=1)
    postcodes: list[PostcodeRange] = Field(default_factory=list)

    @field_validator("countries")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if len(c) != 2 or not c.isalpha() or not c.isupper()]
        if bad:
            raise ValueError(f"countries must be ISO 3166 alpha-2 codes like ES, got {bad}")
        return value

    def matches(self, country: str, postcode: str | None) -> bool:
        if country not in self.countries:
            return False
        if not self.postcodes:
            return True
        return postcode is not None and any(r.contains(postcode) for r in self.postcodes)


class FeeBand(BaseModel):
    carrier: str
    service: str
    area: str
    basis: Literal["weight", "order"]
    max_kg: Decimal | None = Field(default=None, gt=0)
    min_price: Decimal = Field(ge=0)
    max_price: Decimal = Field(ge=0)
    transit_days: int = Field(ge=0)
    currency: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FeeBand:
        if self.basis == "weight" and self.max_kg is None:
            raise ValueError("a weight band needs max_kg")
        if self.min_price > self.max_price:
            raise ValueError("min_price must not exceed max_price")
        return self

    @property
    def label(self) -> str:
        return f"up to {self.max_kg} kg" if self.basis == "weight" else "per order"


class CatalogueFile(BaseModel):
    currency: str = Field(min_length=3, max_length=3)
    carriers: list[CarrierEntry]
    areas: list[AreaEntry]
    fees: list[FeeBand]

    @model_validator(mode="after")
    def _references(self) -> CatalogueFile:
        carriers = {c.code: {s.code for s in c.services} for c in self.carriers}
        areas = {a.code for a in self.areas}
        if len(carriers) != len(self.carriers) or len(areas) != len(self.areas):
            raise ValueError("carrier and area codes must be unique")
        for i, fee in enumerate(self.fees):
            if fee.carrier not in carriers:
                raise ValueError(f"fees[{i}].carrier: unknown carrier {fee.carrier!r}")
            if fee.service not in carriers[fee.carrier]:
                raise ValueError(f"fees[{i}].service: {fee.carrier} has no service {fee.service!r}")
            if fee.area not in areas:
                raise ValueError(f"fees[{i}].area: unknown area {fee.area!r}")
        return self


def normalise_postcode(postcode: str | None) -> str | None:
    """Upper-case, without spaces or dashes; None for an empty postcode."""
    if postcode is None:
        return None
    cleaned = "".join(ch for ch in postcode.upper() if ch.isalnum())
    return cleaned or None


class Catalogue:
    """The validated file, indexed for the lookups quoting does once per order."""

    def __init__(self, data: CatalogueFile) -> None:
        self.data = data
        self.currency = data.currency
        self.carriers = {c.code: c for c in data.carriers}
        self.areas = {a.code: a for a in data.areas}
        self._bands: dict[tuple[str, str], list[FeeBand]] = {}
        for band in sorted(data.fees, key=lambda b: (b.basis, b.max_kg or Decimal(0))):
            self._bands.setdefault((band.area, band.carrier), []).append(band)
        self._quotes_in = lru_cache(maxsize=4096)(self._area_quotes)
        self._areas_in: dict[str, list[AreaEntry]] = {}  # per country, in catalogue order
        for area in data.areas:
            for country in area.countries:
                self._areas_in.setdefault(country, []).append(area)

    def area_for(self, destination: Destination) -> AreaEntry | None:
        """The first area (in catalogue order) that holds the destination's country and postcode."""
        country = (destination.country_code or "").upper()
        postcode = normalise_postcode(destination.postal_code)
        return next((a for a in self._areas_in.get(country, ()) if a.matches(country, postcode)), None)

    def area(self, code: str) -> AreaEntry:
        if code not in self.areas:
            raise InputError("area", f"unknown area {code!r} (known: {', '.join(self.areas)})")
        return self.areas[code]

    def carrier(self, code: str) -> CarrierEntry:
        if code not in self.carriers:
            raise InputError("carrier", f"unknown carrier {code!r} (known: {', '.join(self.carriers)})")
        return self.carriers[code]

    def carriers_serving(self, area_code: str) -> list[str]:
        """Carrier codes with at least one fee band in the area, in catalogue order."""
        return [c for c in self.carriers if (area_code, c) in self._bands]

    def bands(self, area_code: str, carrier_code: str) -> list[FeeBand]:
        return self._bands.get((area_code, carrier_code), [])

    def quotes(self, destination: Destination, weight_kg: Decimal) -> list[RateQuote]:
        """One quote per carrier service whose band covers the parcel in the destination's area.

        The quote's ``price`` is the band's minimum, ``max_price`` its maximum.
        """
        area = self.area_for(destination)
        if area is None:
            return []
        return list(self._quotes_in(area.code, weight_kg))

    def _area_quotes(self, area_code: str, weight_kg: Decimal) -> tuple[RateQuote, ...]:
        """The quotes of one area for one weight (memoised per catalogue: orders repeat both)."""
        quotes = []
        for carrier_code in self.carriers_serving(area_code):
            chosen: dict[str, FeeBand] = {}
            for band in self.bands(area_code, carrier_code):
                covers = band.basis == "order" or (band.max_kg is not None and weight_kg <= band.max_kg)
                if covers and band.service not in chosen:
                    chosen[band.service] = band
            for band in chosen.values():
                currency = band.currency or self.currency
                quotes.append(
                    RateQuote(
                        carrier_code=carrier_code,
                        service_code=band.service,
                        area_code=area_code,
                        price=Money(band.min_price, currency),
                        transit_days=band.transit_days,
                        max_price=Money(band.max_price, currency),
                    )
                )
        return tuple(quotes)

    def registered_carriers(self) -> list[Carrier]:
        return [
            Carrier(
                code=c.code,
                name=c.name,
                services=tuple(CarrierService(s.code, s.name) for s in c.services),
                tracking=c.tracking,
                areas=tuple(a for a in self.areas if (a, c.code) in self._bands),
            )
            for c in self.data.carriers
        ]

    def carrier_area(self, carrier_code: str, destination: Destination) -> str | None:
        """The destination's area when ``carrier_code`` is one of ours and has fees there."""
        if carrier_code not in self.carriers:
            return None
        area = self.area_for(destination)
        return area.code if area is not None and (area.code, carrier_code) in self._bands else None


def catalogue_path() -> Path:
    return Path(os.environ.get(PATH_ENV) or DEFAULT_PATH)


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate a catalogue file; errors name the file and the field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(PATH_ENV, f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(PATH_ENV, f"{path} is not valid JSON: {exc}") from exc
    try:
        return Catalogue(CatalogueFile.model_validate(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "catalogue"
        raise InputError(where, f"{first['msg']} (in {path})") from exc


@lru_cache(maxsize=4)
def _cached(path: Path, mtime_ns: int) -> Catalogue:
    return load_catalogue(path)


def get_catalogue() -> Catalogue:
    """The configured catalogue, re-read when the file changes (the host edits it in place)."""
    path = catalogue_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise InputError(PATH_ENV, f"cannot read {path}: {exc.strerror}") from exc
    return _cached(path, mtime)
