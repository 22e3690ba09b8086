
import pytest

from pipelines.gazetteer import (
    PROVINCES,
    City,
    address_heads,
    closest_address_head,
    closest_authority,
    city_by_code,
    issuing_authorities,
    province_by_code,
)

MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
SHENZHEN = "广东省深圳市公安局交通警察支队"
QINHUANGDAO = "河北省秦皇岛市公安局交通警察支队"


def test_31_mainland_provinces_with_unique_codes_and_names():
    assert len(PROVINCES) == 31
    assert len({p.code for p in PROVINCES}) == 31
    assert len({p.name for p in PROVINCES}) == 31
    assert all(len(p.code) == 2 and p.code.isdigit() for p in PROVINCES)
    assert sum(p.name.endswith("自治区") for p in PROVINCES) == 5


def test_only_the_municipalities_have_no_cities():
    assert {p.name for p in PROVINCES if not p.cities} == MUNICIPALITIES


def test_city_codes_are_unique_and_nest_in_their_province():
    codes = [c.code for p in PROVINCES for c in p.cities]
    assert len(codes) == len(set(codes))
    # GB/T 2260 had 333 prefecture-level divisions in the early 2020s.
    assert len(codes) == 333
    for province in PROVINCES:
        for city in province.cities:
            assert len(city.code) == 4 and city.code.isdigit()
            assert city.code.startswith(province.code), (province.name, city)


@pytest.mark.parametrize(
    ("code", "province", "city"),
    [
        ("1308", "河北省", "承德市"),
        ("1303", "河北省", "秦皇岛市"),
        ("4403", "广东省", "深圳市"),
        ("1504", "内蒙古自治区", "赤峰市"),
        ("2224", "吉林省", "延边朝鲜族自治州"),
    ],
)
def test_known_cities(code, province, city):
    found = city_by_code(code)
    assert found is not None
    assert found[0].name == province
    assert found[1] == City(city, code)


def test_lookups_by_code():
    hebei = province_by_code("13")
    assert hebei is not None and hebei.name == "河北省"
    assert City("承德市", "1308") in hebei.cities
    assert province_by_code("71") is None  # Taiwan is not covered
    assert province_by_code("1") is None
    assert city_by_code("1399") is None
    assert city_by_code("13") is None


def test_issuing_authorities():
    authorities = issuing_authorities()
    assert SHENZHEN in authorities
    assert QINHUANGDAO in authorities
    assert "内蒙古自治区赤峰市公安局交通警察支队" in authorities
    assert "北京市公安局公安交通管理局" in authorities
    assert "重庆市公安局交通巡逻警察总队" in authorities
    assert len(authorities) == len(set(authorities)) == 333 + 4
    assert issuing_authorities() is authorities


@pytest.mark.parametrize(
    ("reading", "expected", "distance"),
    [
        (SHENZHEN, SHENZHEN, 0),
        ("广东省深圳市公安局交警察支队", SHENZHEN, 1),  # one character dropped
        ("广东省深圳市公安交警察支队", SHENZHEN, 2),  # two dropped
        ("广东省深圳市公安局交通警擦支队", SHENZHEN, 1),  # one misread
        ("河北省秦皇岛市公安局交通警察支以", QINHUANGDAO, 1),
        ("河北省秦皇市公安局交通警查支队", QINHUANGDAO, 2),
        ("河北省 秦皇岛市 公安局交通警察支队", QINHUANGDAO, 0),  # spaces along the arc
        ("北京市公安局公安交通管埋局", "北京市公安局公安交通管理局", 1),
        ("内蒙古自治区赤峰市公安局交通警察支", "内蒙古自治区赤峰市公安局交通警察支队", 1),
    ],
)
def test_closest_authority_corrects_ocr_slips(reading, expected, distance):
    assert closest_authority(reading) == (expected, distance)


@pytest.mark.parametrize("reading", ["", "   ", "中华人民共和国机动车驾驶证", "准驾车型C1"])
def test_closest_authority_rejects_unrelated_text(reading):
    assert closest_authority(reading) is None


def test_closest_authority_honours_the_ratio():
    reading = "广东省深圳市公安交警察支队"  # two edits away from SHENZHEN
    assert closest_authority(reading, max_distance_ratio=0.1) is None
    assert closest_authority(reading, max_distance_ratio=0.2) == (SHENZHEN, 2)



def test_address_heads_are_municipalities_prefectures_and_direct_units():
    heads = address_heads()
    assert len(heads) == len(set(heads))
    assert {"北京市", "河北省保定市", "湖北省恩施土家族苗族自治州", "湖北省天门市", "香港特别行政区"} <= set(heads)
    assert "河北省" not in heads  # a province's addresses always name the prefecture too


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("河北省保定市长阳土家族自治县车站路70号", ("河北省保定市", 6)),
        ("北京市海淀区中关村大街1号", ("北京市", 3)),
        ("湖北省天门市竟陵街道", ("湖北省天门市", 6)),  # not 荆门市, one character away
        ("宁夏国族自治区吴忠市江南区团结路394号", ("宁夏回族自治区吴忠市", 10)),
        ("湖北省恩施士家族苗族自治州城南区", ("湖北省恩施土家族苗族自治州", 13)),
        ("新疆维普尔育治区克拉玛依市五泉区", ("新疆维吾尔自治区克拉玛依市", 13)),
        ("香港特别行政区九龙", ("香港特别行政区", 7)),
    ],
)
def test_an_address_head_is_found_through_a_few_misread_characters(text, expected):
    assert closest_address_head(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "广东省湖州市品岗区",  # 潮州, 梅州 and 惠州 are each one character away
        "辽宁省营口高桥镇张家湾村88号",  # 营口高 for 营口市, or 市 lost: which characters to replace is unknown
        "尔自治区乌鲁木齐市解放区",  # the province lost
        "北京",
        "",
    ],
)
def test_no_address_head_when_none_or_two_are_near(text):
    assert closest_address_head(text) is None
