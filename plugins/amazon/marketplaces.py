"""Every Amazon marketplace: id, country, currency, language and region. Data only.

Ids are Amazon's published marketplace ids (SP-API "Marketplace IDs" page); the regional
SP-API hosts and AWS regions are Amazon's too. ``tests/amazon/test_marketplaces.py`` checks
the ids that appear in the models against this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.api import Marketplace


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    host: str
    aws_region: str


REGIONS: dict[str, Region] = {
    "NA": Region("NA", "https://sellingpartnerapi-na.amazon.com", "us-east-1"),
    "EU": Region("EU", "https://sellingpartnerapi-eu.amazon.com", "eu-west-1"),
    "FE": Region("FE", "https://sellingpartnerapi-fe.amazon.com", "us-west-2"),
}

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 - a URL, not a secret

# code, name, marketplace id, country, currency, language, region
_TABLE = (
    ("CA", "Amazon.ca", "A2EUQ1WTGCTBG2", "CA", "CAD", "en_CA", "NA"),
    ("US", "Amazon.com", "ATVPDKIKX0DER", "US", "USD", "en_US", "NA"),
    ("MX", "Amazon.com.mx", "A1AM78C64UM0Y8", "MX", "MXN", "es_MX", "NA"),
    ("BR", "Amazon.com.br", "A2Q3Y263D00KWC", "BR", "BRL", "pt_BR", "NA"),
    ("IE", "Amazon.ie", "A28R8C7NBKEWEA", "IE", "EUR", "en_IE", "EU"),
    ("ES", "Amazon.es", "A1RKKUPIHCS9HS", "ES", "EUR", "es_ES", "EU"),
    ("UK", "Amazon.co.uk", "A1F83G8C2ARO7P", "GB", "GBP", "en_GB", "EU"),
    ("FR", "Amazon.fr", "A13V1IB3VIYZZH", "FR", "EUR", "fr_FR", "EU"),
    ("BE", "Amazon.com.be", "AMEN7PMS3EDWL", "BE", "EUR", "fr_BE", "EU"),
    ("NL", "Amazon.nl", "A1805IZSGTT6HS", "NL", "EUR", "nl_NL", "EU"),
    ("DE", "Amazon.de", "A1PA6795UKMFR9", "DE", "EUR", "de_DE", "EU"),
    ("IT", "Amazon.it", "APJ6JRA9NG5V4", "IT", "EUR", "it_IT", "EU"),
    ("SE", "Amazon.se", "A2NODRKZP88ZB9", "SE", "SEK", "sv_SE", "EU"),
    ("ZA", "Amazon.co.za", "AE08WJ6YKNBMC", "ZA", "ZAR", "en_ZA", "EU"),
    ("PL", "Amazon.pl", "A1C3SOZRARQ6R3", "PL", "PLN", "pl_PL", "EU"),
    ("EG", "Amazon.eg", "ARBP9OOSHTCHU", "EG", "EGP", "ar_EG", "EU"),
    ("TR", "Amazon.com.tr", "A33AVAJ2PDY3EV", "TR", "TRY", "tr_TR", "EU"),
    ("SA", "Amazon.sa", "A17E79C6D8DWNP", "SA", "SAR", "ar_SA", "EU"),
    ("AE", "Amazon.ae", "A2VIGQ35RCS4UG", "AE", "AED", "ar_AE", "EU"),
    ("IN", "Amazon.in", "A21TJRUUN4KGV", "IN", "INR", "en_IN", "EU"),
    ("SG", "Amazon.sg", "A19VAU5U5O7RUS", "SG", "SGD", "en_SG", "FE"),
    ("AU", "Amazon.com.au", "A39IBJ37TRP1C6", "AU", "AUD", "en_AU", "FE"),
    ("JP", "Amazon.co.jp", "A1VC38T7YXB528", "JP", "JPY", "ja_JP", "FE"),
)

MARKETPLACES: tuple[Marketplace, ...] = tuple(
    Marketplace(code, name, mid, country, currency, language, region)
    for code, name, mid, country, currency, language, region in _TABLE
)
BY_CODE: dict[str, Marketplace] = {m.code: m for m in MARKETPLACES}
BY_ID: dict[str, Marketplace] = {m.channel_id: m for m in MARKETPLACES}


def region_of(marketplace: Marketplace) -> Region:
    return REGIONS[marketplace.region]
