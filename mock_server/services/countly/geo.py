"""A small offline geo lookup (no GeoIP database ships with the kit) and the ISO country names."""

from __future__ import annotations

import ipaddress

__all__ = ["COUNTRY_NAMES", "country_name", "lookup_country"]

#: Documented test ranges → ISO code. Everything else (private, loopback, unlisted) is "Unknown".
IP_TABLE: tuple[tuple[str, str], ...] = (
    ("8.8.8.0/24", "US"),
    ("1.1.1.0/24", "AU"),
    ("81.2.69.0/24", "GB"),
    ("2.125.160.0/24", "GB"),
    ("89.160.20.0/24", "SE"),
    ("88.255.0.0/16", "TR"),
    ("212.252.0.0/16", "TR"),
    ("85.214.0.0/16", "DE"),
    ("62.210.0.0/16", "FR"),
    ("133.242.0.0/16", "JP"),
    ("177.0.0.0/16", "BR"),
    ("49.44.0.0/16", "IN"),
    ("2001:4860::/32", "US"),
)
_NETWORKS = tuple((ipaddress.ip_network(net), code) for net, code in IP_TABLE)

COUNTRY_NAMES: dict[str, str] = {
    "AE": "United Arab Emirates", "AR": "Argentina", "AT": "Austria", "AU": "Australia", "AZ": "Azerbaijan",
    "BE": "Belgium", "BG": "Bulgaria", "BR": "Brazil", "CA": "Canada", "CH": "Switzerland", "CL": "Chile",
    "CN": "China", "CO": "Colombia", "CY": "Cyprus", "CZ": "Czech Republic", "DE": "Germany", "DK": "Denmark",
    "EE": "Estonia", "EG": "Egypt", "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom",
    "GE": "Georgia", "GR": "Greece", "HK": "Hong Kong", "HR": "Croatia", "HU": "Hungary", "ID": "Indonesia",
    "IE": "Ireland", "IL": "Israel", "IN": "India", "IR": "Iran", "IS": "Iceland", "IT": "Italy", "JP": "Japan",
    "KE": "Kenya", "KR": "South Korea", "KZ": "Kazakhstan", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia",
    "MA": "Morocco", "MX": "Mexico", "MY": "Malaysia", "NG": "Nigeria", "NL": "Netherlands", "NO": "Norway",
    "NZ": "New Zealand", "PE": "Peru", "PH": "Philippines", "PK": "Pakistan", "PL": "Poland", "PT": "Portugal",
    "RO": "Romania", "RS": "Serbia", "RU": "Russia", "SA": "Saudi Arabia", "SE": "Sweden", "SG": "Singapore",
    "SI": "Slovenia", "SK": "Slovakia", "TH": "Thailand", "TR": "Turkey", "TW": "Taiwan", "UA": "Ukraine",
    "US": "United States", "VN": "Vietnam", "ZA": "South Africa",
}


def lookup_country(ip: str | None) -> str:
    """The ISO code for ``ip`` from the offline table, or ``"Unknown"``."""
    if not ip:
        return "Unknown"
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "Unknown"
    for network, code in _NETWORKS:
        if addr.version == network.version and addr in network:
            return code
    return "Unknown"


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code.upper(), "Unknown")
