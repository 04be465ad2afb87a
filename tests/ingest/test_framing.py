from datetime import UTC, datetime
from functools import reduce
from operator import xor

from hypothesis import given
from hypothesis import strategies as st

from ingest.framing import (
    TagBlock,
    epoch_from_number,
    gps_clock_time,
    nmea_checksum,
    parse_time_text,
    pghp_time,
    trailing_fields,
)


@given(st.binary(max_size=120))
def test_checksum_is_xor_of_bytes(data: bytes) -> None:
    assert nmea_checksum(data) == reduce(xor, data, 0)


def test_checksum_of_known_sentence() -> None:
    # from the pyais documentation: !AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C
    assert nmea_checksum(b"AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0") == 0x5C


def test_epoch_units_by_magnitude() -> None:
    assert epoch_from_number(1420030798) == 1420030798
    assert epoch_from_number(1599239526500) == 1599239526.5
    assert epoch_from_number(1550303566167726840) == 1550303566.1677268
    assert epoch_from_number(1550303566167726) == 1550303566.167726


def test_time_prefixes() -> None:
    assert parse_time_text(b"1490075479,") == 1490075479
    iso = parse_time_text(b"2016-03-31 00:00:01, ")
    assert iso == datetime(2016, 3, 31, 0, 0, 1, tzinfo=UTC).timestamp()
    assert parse_time_text(b"2016-03-31T00:00:01Z") == iso
    assert parse_time_text(b"epoch") is None


def test_tag_block_fields() -> None:
    tag = TagBlock(b"g:1-2-3985,s:rEV02,c:1334337317*2D")
    assert tag.ts == 1334337317 and tag.station == "rEV02" and tag.group == (1, 2, "3985")
    ms = TagBlock(b"c:1599239526500,s:sdr-experiments,T:2020-09-04 18.12.06*5D")
    assert ms.ts == 1599239526.5


def test_trailing_uscg_and_amsa_fields() -> None:
    ts, station = trailing_fields(b",d-109,S2105,t050056.00,T56.13,r003669946,1325394060,132539")
    assert ts == 1325394060 and station == "003669946"
    assert trailing_fields(b",1327992119173") == (1327992119.173, None)
    assert trailing_fields(b"'") == (None, None)


def test_pghp_and_gps_clock() -> None:
    f = b"PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B".split(b",")
    assert pghp_time(f) == datetime(2010, 6, 11, 11, 46, 11, 390000, tzinfo=UTC).timestamp()
    rmc = b"GPRMC,213950.00,A,5250.4,N,00541.4,E,0.0,0.0,070420,,,A".split(b",")
    assert gps_clock_time(rmc) == datetime(2020, 4, 7, 21, 39, 50, tzinfo=UTC).timestamp()
    zda = b"GPZDA,114703.00,27,01,2012,00,00".split(b",")
    assert gps_clock_time(zda) == datetime(2012, 1, 27, 11, 47, 3, tzinfo=UTC).timestamp()
