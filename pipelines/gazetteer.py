"""Mainland China's province- and prefecture-level divisions, and the licence-issuing
authorities derived from them.

The names and codes follow GB/T 2260 (the national administrative division codes) as
published by the Ministry of Civil Affairs in the early 2020s: 31 province-level
divisions and their 333 prefecture-level units (地级市, 地区, 自治州, 盟). County-level
units administered directly by a province (济源市, 仙桃市, 石河子市, ...) are not among the
cities (nor their seals among the authorities); they are listed apart, for addresses.

The data exists for three reasons:

* The 发证机关 on a licence is printed inside a red seal, which OCR reads poorly. The set
  of real authorities is small and closed, so a reading can be snapped to the nearest
  one (`closest_authority`).
* An address starts with its province and prefecture, or a unit the province administers
  directly (`DIRECT_UNITS`): a reading of that head a character or two off is spelt right
  (`closest_address_head`).
* Synthetic licences need realistic ID numbers and authorities, whose region codes and
  names must agree (`province_by_code`, `city_by_code`, `issuing_authorities`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class City:
    """A prefecture-level division; `code` is its 4-digit GB/T 2260 prefix."""

    name: str
    code: str


@dataclass(frozen=True)
class Province:
    """A province-level division; `code` is its 2-digit GB/T 2260 prefix.

    The four municipalities have no cities: their districts never appear on a seal.
    """

    name: str
    code: str
    cities: tuple[City, ...] = ()


def _cities(*pairs: tuple[str, str]) -> tuple[City, ...]:
    return tuple(City(name, code) for code, name in pairs)


PROVINCES: tuple[Province, ...] = (
    Province("北京市", "11"),
    Province("天津市", "12"),
    Province("河北省", "13", _cities(
        ("1301", "石家庄市"), ("1302", "唐山市"), ("1303", "秦皇岛市"), ("1304", "邯郸市"),
        ("1305", "邢台市"), ("1306", "保定市"), ("1307", "张家口市"), ("1308", "承德市"),
        ("1309", "沧州市"), ("1310", "廊坊市"), ("1311", "衡水市"),
    )),
    Province("山西省", "14", _cities(
        ("1401", "太原市"), ("1402", "大同市"), ("1403", "阳泉市"), ("1404", "长治市"),
        ("1405", "晋城市"), ("1406", "朔州市"), ("1407", "晋中市"), ("1408", "运城市"),
        ("1409", "忻州市"), ("1410", "临汾市"), ("1411", "吕梁市"),
    )),
    Province("内蒙古自治区", "15", _cities(
        ("1501", "呼和浩特市"), ("1502", "包头市"), ("1503", "乌海市"), ("1504", "赤峰市"),
        ("1505", "通辽市"), ("1506", "鄂尔多斯市"), ("1507", "呼伦贝尔市"),
        ("1508", "巴彦淖尔市"), ("1509", "乌兰察布市"), ("1522", "兴安盟"),
        ("1525", "锡林郭勒盟"), ("1529", "阿拉善盟"),
    )),
    Province("辽宁省", "21", _cities(
        ("2101", "沈阳市"), ("2102", "大连市"), ("2103", "鞍山市"), ("2104", "抚顺市"),
        ("2105", "本溪市"), ("2106", "丹东市"), ("2107", "锦州市"), ("2108", "营口市"),
        ("2109", "阜新市"), ("2110", "辽阳市"), ("2111", "盘锦市"), ("2112", "铁岭市"),
        ("2113", "朝阳市"), ("2114", "葫芦岛市"),
    )),
    Province("吉林省", "22", _cities(
        ("2201", "长春市"), ("2202", "吉林市"), ("2203", "四平市"), ("2204", "辽源市"),
        ("2205", "通化市"), ("2206", "白山市"), ("2207", "松原市"), ("2208", "白城市"),
        ("2224", "延边朝鲜族自治州"),
    )),
    Province("黑龙江省", "23", _cities(
        ("2301", "哈尔滨市"), ("2302", "齐齐哈尔市"), ("2303", "鸡西市"), ("2304", "鹤岗市"),
        ("2305", "双鸭山市"), ("2306", "大庆市"), ("2307", "伊春市"), ("2308", "佳木斯市"),
        ("2309", "七台河市"), ("2310", "牡丹江市"), ("2311", "黑河市"), ("2312", "绥化市"),
        ("2327", "大兴安岭地区"),
    )),
    Province("上海市", "31"),
    Province("江苏省", "32", _cities(
        ("3201", "南京市"), ("3202", "无锡市"), ("3203", "徐州市"), ("3204", "常州市"),
        ("3205", "苏州市"), ("3206", "南通市"), ("3207", "连云港市"), ("3208", "淮安市"),
        ("3209", "盐城市"), ("3210", "扬州市"), ("3211", "镇江市"), ("3212", "泰州市"),
        ("3213", "宿迁市"),
    )),
    Province("浙江省", "33", _cities(
        ("3301", "杭州市"), ("3302", "宁波市"), ("3303", "温州市"), ("3304", "嘉兴市"),
        ("3305", "湖州市"), ("3306", "绍兴市"), ("3307", "金华市"), ("3308", "衢州市"),
        ("3309", "舟山市"), ("3310", "台州市"), ("3311", "丽水市"),
    )),
    Province("安徽省", "34", _cities(
        ("3401", "合肥市"), ("3402", "芜湖市"), ("3403", "蚌埠市"), ("3404", "淮南市"),
        ("3405", "马鞍山市"), ("3406", "淮北市"), ("3407", "铜陵市"), ("3408", "安庆市"),
        ("3410", "黄山市"), ("3411", "滁州市"), ("3412", "阜阳市"), ("3413", "宿州市"),
        ("3415", "六安市"), ("3416", "亳州市"), ("3417", "池州市"), ("3418", "宣城市"),
    )),
    Province("福建省", "35", _cities(
        ("3501", "福州市"), ("3502", "厦门市"), ("3503", "莆田市"), ("3504", "三明市"),
        ("3505", "泉州市"), ("3506", "漳州市"), ("3507", "南平市"), ("3508", "龙岩市"),
        ("3509", "宁德市"),
    )),
    Province("江西省", "36", _cities(
        ("3601", "南昌市"), ("3602", "景德镇市"), ("3603", "萍乡市"), ("3604", "九江市"),
        ("3605", "新余市"), ("3606", "鹰潭市"), ("3607", "赣州市"), ("3608", "吉安市"),
        ("3609", "宜春市"), ("3610", "抚州市"), ("3611", "上饶市"),
    )),
    Province("山东省", "37", _cities(
        ("3701", "济南市"), ("3702", "青岛市"), ("3703", "淄博市"), ("3704", "枣庄市"),
        ("3705", "东营市"), ("3706", "烟台市"), ("3707", "潍坊市"), ("3708", "济宁市"),
        ("3709", "泰安市"), ("3710", "威海市"), ("3711", "日照市"), ("3713", "临沂市"),
        ("3714", "德州市"), ("3715", "聊城市"), ("3716", "滨州市"), ("3717", "菏泽市"),
    )),
    Province("河南省", "41", _cities(
        ("4101", "郑州市"), ("4102", "开封市"), ("4103", "洛阳市"), ("4104", "平顶山市"),
        ("4105", "安阳市"), ("4106", "鹤壁市"), ("4107", "新乡市"), ("4108", "焦作市"),
        ("4109", "濮阳市"), ("4110", "许昌市"), ("4111", "漯河市"), ("4112", "三门峡市"),
        ("4113", "南阳市"), ("4114", "商丘市"), ("4115", "信阳市"), ("4116", "周口市"),
        ("4117", "驻马店市"),
    )),
    Province("湖北省", "42", _cities(
        ("4201", "武汉市"), ("4202", "黄石市"), ("4203", "十堰市"), ("4205", "宜昌市"),
        ("4206", "襄阳市"), ("4207", "鄂州市"), ("4208", "荆门市"), ("4209", "孝感市"),
        ("4210", "荆州市"), ("4211", "黄冈市"), ("4212", "咸宁市"), ("4213", "随州市"),
        ("4228", "恩施土家族苗族自治州"),
    )),
    Province("湖南省", "43", _cities(
        ("4301", "长沙市"), ("4302", "株洲市"), ("4303", "湘潭市"), ("4304", "衡阳市"),
        ("4305", "邵阳市"), ("4306", "岳阳市"), ("4307", "常德市"), ("4308", "张家界市"),
        ("4309", "益阳市"), ("4310", "郴州市"), ("4311", "永州市"), ("4312", "怀化市"),
        ("4313", "娄底市"), ("4331", "湘西土家族苗族自治州"),
    )),
    Province("广东省", "44", _cities(
        ("4401", "广州市"), ("4402", "韶关市"), ("4403", "深圳市"), ("4404", "珠海市"),
        ("4405", "汕头市"), ("4406", "佛山市"), ("4407", "江门市"), ("4408", "湛江市"),
        ("4409", "茂名市"), ("4412", "肇庆市"), ("4413", "惠州市"), ("4414", "梅州市"),
        ("4415", "汕尾市"), ("4416", "河源市"), ("4417", "阳江市"), ("4418", "清远市"),
        ("4419", "东莞市"), ("4420", "中山市"), ("4451", "潮州市"), ("4452", "揭阳市"),
        ("4453", "云浮市"),
    )),
    Province("广西壮族自治区", "45", _cities(
        ("4501", "南宁市"), ("4502", "柳州市"), ("4503", "桂林市"), ("4504", "梧州市"),
        ("4505", "北海市"), ("4506", "防城港市"), ("4507", "钦州市"), ("4508", "贵港市"),
        ("4509", "玉林市"), ("4510", "百色市"), ("4511", "贺州市"), ("4512", "河池市"),
        ("4513", "来宾市"), ("4514", "崇左市"),
    )),
    Province("海南省", "46", _cities(
        ("4601", "海口市"), ("4602", "三亚市"), ("4603", "三沙市"), ("4604", "儋州市"),
    )),
    Province("重庆市", "50"),
    Province("四川省", "51", _cities(
        ("5101", "成都市"), ("5103", "自贡市"), ("5104", "攀枝花市"), ("5105", "泸州市"),
        ("5106", "德阳市"), ("5107", "绵阳市"), ("5108", "广元市"), ("5109", "遂宁市"),
        ("5110", "内江市"), ("5111", "乐山市"), ("5113", "南充市"), ("5114", "眉山市"),
        ("5115", "宜宾市"), ("5116", "广安市"), ("5117", "达州市"), ("5118", "雅安市"),
        ("5119", "巴中市"), ("5120", "资阳市"), ("5132", "阿坝藏族羌族自治州"),
        ("5133", "甘孜藏族自治州"), ("5134", "凉山彝族自治州"),
    )),
    Province("贵州省", "52", _cities(
        ("5201", "贵阳市"), ("5202", "六盘水市"), ("5203", "遵义市"), ("5204", "安顺市"),
        ("5205", "毕节市"), ("5206", "铜仁市"), ("5223", "黔西南布依族苗族自治州"),
        ("5226", "黔东南苗族侗族自治州"), ("5227", "黔南布依族苗族自治州"),
    )),
    Province("云南省", "53", _cities(
        ("5301", "昆明市"), ("5303", "曲靖市"), ("5304", "玉溪市"), ("5305", "保山市"),
        ("5306", "昭通市"), ("5307", "丽江市"), ("5308", "普洱市"), ("5309", "临沧市"),
        ("5323", "楚雄彝族自治州"), ("5325", "红河哈尼族彝族自治州"),
        ("5326", "文山壮族苗族自治州"), ("5328", "西双版纳傣族自治州"),
        ("5329", "大理白族自治州"), ("5331", "德宏傣族景颇族自治州"),
        ("5333", "怒江傈僳族自治州"), ("5334", "迪庆藏族自治州"),
    )),
    Province("西藏自治区", "54", _cities(
        ("5401", "拉萨市"), ("5402", "日喀则市"), ("5403", "昌都市"), ("5404", "林芝市"),
        ("5405", "山南市"), ("5406", "那曲市"), ("5425", "阿里地区"),
    )),
    Province("陕西省", "61", _cities(
        ("6101", "西安市"), ("6102", "铜川市"), ("6103", "宝鸡市"), ("6104", "咸阳市"),
        ("6105", "渭南市"), ("6106", "延安市"), ("6107", "汉中市"), ("6108", "榆林市"),
        ("6109", "安康市"), ("6110", "商洛市"),
    )),
    Province("甘肃省", "62", _cities(
        ("6201", "兰州市"), ("6202", "嘉峪关市"), ("6203", "金昌市"), ("6204", "白银市"),
        ("6205", "天水市"), ("6206", "武威市"), ("6207", "张掖市"), ("6208", "平凉市"),
        ("6209", "酒泉市"), ("6210", "庆阳市"), ("6211", "定西市"), ("6212", "陇南市"),
        ("6229", "临夏回族自治州"), ("6230", "甘南藏族自治州"),
    )),
    Province("青海省", "63", _cities(
        ("6301", "西宁市"), ("6302", "海东市"), ("6322", "海北藏族自治州"),
        ("6323", "黄南藏族自治州"), ("6325", "海南藏族自治州"), ("6326", "果洛藏族自治州"),
        ("6327", "玉树藏族自治州"), ("6328", "海西蒙古族藏族自治州"),
    )),
    Province("宁夏回族自治区", "64", _cities(
        ("6401", "银川市"), ("6402", "石嘴山市"), ("6403", "吴忠市"), ("6404", "固原市"),
        ("6405", "中卫市"),
    )),
    Province("新疆维吾尔自治区", "65", _cities(
        ("6501", "乌鲁木齐市"), ("6502", "克拉玛依市"), ("6504", "吐鲁番市"),
        ("6505", "哈密市"), ("6523", "昌吉回族自治州"), ("6527", "博尔塔拉蒙古自治州"),
        ("6528", "巴音郭楞蒙古自治州"), ("6529", "阿克苏地区"),
        ("6530", "克孜勒苏柯尔克孜自治州"), ("6531", "喀什地区"), ("6532", "和田地区"),
        ("6540", "伊犁哈萨克自治州"), ("6542", "塔城地区"), ("6543", "阿勒泰地区"),
    )),
)

# The municipalities' traffic police are province-level bodies with names of their own.
_MUNICIPAL_AUTHORITIES: dict[str, str] = {
    "北京市": "北京市公安局公安交通管理局",
    "天津市": "天津市公安局交通警察总队",
    "上海市": "上海市公安局交通警察总队",
    "重庆市": "重庆市公安局交通巡逻警察总队",
}

# County-level units that a province administers directly, with no prefecture between them (GB/T 2260): an
# address there starts with the province and the unit.
DIRECT_UNITS: dict[str, tuple[str, ...]] = {
    "河南省": ("济源市",),
    "湖北省": ("仙桃市", "潜江市", "天门市", "神农架林区"),
    "海南省": (
        "五指山市", "琼海市", "文昌市", "万宁市", "东方市", "定安县", "屯昌县", "澄迈县", "临高县",
        "白沙黎族自治县", "昌江黎族自治县", "乐东黎族自治县", "陵水黎族自治县", "保亭黎族苗族自治县",
        "琼中黎族苗族自治县",
    ),
    "新疆维吾尔自治区": (
        "石河子市", "阿拉尔市", "图木舒克市", "五家渠市", "北屯市", "铁门关市", "双河市", "可克达拉市",
        "昆玉市", "胡杨河市", "新星市", "白杨市",
    ),
}  # fmt: skip
# Where the household register of a Hong Kong, Macao or Taiwan resident may place them: outside the 31.
OTHER_REGIONS = ("香港特别行政区", "澳门特别行政区", "台湾省")
# What a household register's address starts with: a province-level division, or one of the other regions.
REGION_NAMES = (*(p.name for p in PROVINCES), *OTHER_REGIONS)

_PROVINCES_BY_CODE: dict[str, Province] = {p.code: p for p in PROVINCES}
_CITIES_BY_CODE: dict[str, tuple[Province, City]] = {
    c.code: (p, c) for p in PROVINCES for c in p.cities
}


def province_by_code(code2: str) -> Province | None:
    """The province whose 2-digit code is `code2`, e.g. "13" -> 河北省."""
    return _PROVINCES_BY_CODE.get(code2)


def city_by_code(code4: str) -> tuple[Province, City] | None:
    """The prefecture-level division whose 4-digit code is `code4`, with its province."""
    return _CITIES_BY_CODE.get(code4)


@cache
def _authority_of_place() -> dict[str, str]:
    """The 交警 authority serving each place, a municipality or a province and one of its prefectures, in
    PROVINCES order."""
    authorities: dict[str, str] = {}
    for province in PROVINCES:
        if province.name in _MUNICIPAL_AUTHORITIES:
            authorities[province.name] = _MUNICIPAL_AUTHORITIES[province.name]
        authorities.update(
            {province.name + city.name: f"{province.name}{city.name}公安局交通警察支队" for city in province.cities}
        )
    return authorities


@cache
def issuing_authorities() -> tuple[str, ...]:
    """Every 发证机关 a licence's seal can carry, in PROVINCES order."""
    return tuple(_authority_of_place().values())


def local_authority(address: str) -> str | None:
    """The authority of the place an address starts with (its municipality, or its province and prefecture):
    where a licence is most often issued. None when the address starts with neither."""
    return next((authority for place, authority in _authority_of_place().items() if address.startswith(place)), None)


@cache
def _authority_counters() -> tuple[tuple[str, Counter[str]], ...]:
    return tuple((a, Counter(a)) for a in issuing_authorities())


def common_subsequence(a: str, b: str) -> int:
    """The length of the longest sequence of characters that both a and b hold in the same order."""
    previous = [0] * (len(b) + 1)
    for ca in a:
        current = [0]
        for j, cb in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if ca == cb else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edit distance between a and b, or any value above `limit` once it must exceed it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        # Every later row's minimum is at least this row's, so the limit is already lost.
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def closest_authority(text: str, max_distance_ratio: float = 0.34) -> tuple[str, int] | None:
    """The issuing authority nearest to an OCR reading of the seal, with its edit distance.

    Only authorities within `max_distance_ratio * len(authority)` edits count; None when
    there is none, i.e. the text is not a garbled authority at all.
    """
    # The seal's text runs along an arc, so OCR often splits it with spaces.
    text = "".join(text.split())
    text_counter = Counter(text)
    # Bag distance (how many characters one side has that the other lacks) is a cheap
    # lower bound on the edit distance; scanning in its order lets the search stop early.
    bounded = sorted(
        (max((text_counter - counter).total(), (counter - text_counter).total()), index, authority)
        for index, (authority, counter) in enumerate(_authority_counters())
    )
    # No authority allows more edits than the longest one does.
    limit = int(max_distance_ratio * max(len(a) for a in issuing_authorities()))
    best: tuple[str, int] | None = None
    for lower_bound, _, authority in bounded:
        if lower_bound > limit:
            break
        allowed = min(limit, int(max_distance_ratio * len(authority)))
        distance = edit_distance(text, authority, allowed)
        if distance <= allowed:
            best = (authority, distance)
            # Ties go to the earlier candidate, so only a strictly nearer one replaces it.
            limit = distance - 1
    return best


@cache
def address_heads() -> tuple[str, ...]:
    """How an address printed on a licence begins: a municipality (北京市), a province with one of its prefectures
    (湖北省恩施土家族苗族自治州) or directly administered units (湖北省仙桃市), or another region (香港特别行政区)."""
    heads: list[str] = []
    for province in PROVINCES:
        if not province.cities:
            heads.append(province.name)
        heads.extend(province.name + city.name for city in province.cities)
        heads.extend(province.name + unit for unit in DIRECT_UNITS.get(province.name, ()))
    return (*heads, *OTHER_REGIONS)


@cache
def _head_counters() -> tuple[tuple[str, Counter[str]], ...]:
    return tuple((head, Counter(head)) for head in address_heads())


def closest_address_head(text: str, max_edits: int = 2, max_distance_ratio: float = 0.25) -> tuple[str, int] | None:
    """The address head (`address_heads`) that `text` begins with, allowing a few misread, lost or extra
    characters, and how many characters of `text` it spans. None when no head is that near, or two are."""
    found: list[tuple[int, str, int]] = []  # (edits, head, characters of text)
    for head, counter in _head_counters():
        allowed = min(max_edits, int(max_distance_ratio * len(head)))
        # Characters the head has and the text's beginning lacks bound the edits from below, cheaply.
        if (counter - Counter(text[: len(head) + allowed])).total() > allowed:
            continue
        lengths = {min(n, len(text)) for n in range(len(head) - allowed, len(head) + allowed + 1)}
        spans = sorted((edit_distance(text[:n], head, allowed), n) for n in lengths)
        # Two spans as near (营口高 read for 营口市, or 营口 with 市 lost) leave unknown which characters to replace.
        if spans[0][0] <= allowed and (len(spans) == 1 or spans[1][0] > spans[0][0]):
            found.append((spans[0][0], head, spans[0][1]))
    found.sort()
    if not found or (len(found) > 1 and found[1][0] == found[0][0]):
        return None
    _, head, span = found[0]
    return head, span
