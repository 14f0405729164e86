"""Where demo and benchmark products come from: the 99 counties Guangdong pairs with (seed 003,
附件3) with their priority flags, and the farm products of the six categories.

Priority counties (国家乡村振兴重点帮扶县) follow the appendix's named lists: 20 in Guangxi and
the 16 named in Guizhou ("还有4个县待贵州省定": four more are still to be named there). The
first copy of the table also marks 西林县, which neither the named list nor the second copy
does, so it is not flagged here.
"""

from __future__ import annotations

from dataclasses import dataclass

GUANGXI = "广西壮族自治区"
GUIZHOU = "贵州省"

# (province, city, [(county, priority)]) in the appendix's order
PAIRED_COUNTIES: list[tuple[str, str, list[tuple[str, bool]]]] = [
    (GUANGXI, "河池市", [("罗城仫佬族自治县", True), ("环江毛南族自治县", True),
                         ("都安瑶族自治县", True), ("大化瑶族自治县", True), ("凤山县", True),
                         ("东兰县", True), ("巴马瑶族自治县", True)]),
    (GUANGXI, "百色市", [("西林县", False), ("隆林各族自治县", True), ("凌云县", True),
                         ("乐业县", True), ("德保县", True), ("田阳县", False), ("靖西市", True),
                         ("那坡县", True), ("田林县", True), ("田东县", False)]),
    (GUANGXI, "南宁市", [("马山县", True), ("上林县", False), ("隆安县", False)]),
    (GUANGXI, "桂林市", [("龙胜各族自治县", False), ("资源县", False)]),
    (GUANGXI, "崇左市", [("天等县", True), ("大新县", False), ("宁明县", False),
                         ("龙州县", False)]),
    (GUANGXI, "柳州市", [("融水县", True), ("三江县", True), ("融安县", False)]),
    (GUANGXI, "来宾市", [("忻城县", True), ("金秀县", False)]),
    (GUANGXI, "贺州市", [("富川瑶族自治县", False), ("昭平县", True)]),
    (GUIZHOU, "毕节市", [("七星关区", False), ("黔西县", False), ("织金县", False),
                         ("大方县", False), ("纳雍县", True), ("赫章县", True),
                         ("威宁县", True)]),
    (GUIZHOU, "黔南州", [("荔波县", False), ("平塘县", False), ("独山县", False),
                         ("三都县", True), ("罗甸县", True), ("长顺县", False),
                         ("瓮安县", False), ("贵定县", False), ("惠水县", False),
                         ("龙里县", False)]),
    (GUIZHOU, "安顺市", [("平坝区", False), ("普定县", False), ("关岭县", False),
                         ("镇宁县", False), ("西秀区", False), ("紫云县", True)]),
    (GUIZHOU, "遵义市", [("习水县", False), ("赤水县", False), ("桐梓县", False),
                         ("道真县", False), ("正安县", True), ("湄潭县", False),
                         ("务川县", False), ("凤冈县", False)]),
    (GUIZHOU, "黔东南州", [("黄平县", False), ("镇远县", False), ("岑巩县", False),
                           ("雷山县", False), ("黎平县", False), ("麻江县", False),
                           ("丹寨县", False), ("从江县", True), ("台江县", False),
                           ("天柱县", False), ("榕江县", True), ("剑河县", True),
                           ("三穗县", False), ("施秉县", False), ("锦屏县", True)]),
    (GUIZHOU, "铜仁市", [("思南县", False), ("石阡县", False), ("德江县", False),
                         ("沿河县", True), ("碧江区", False), ("印江县", False),
                         ("玉屏县", False), ("松桃县", False), ("江口县", False),
                         ("万山区", False)]),
    (GUIZHOU, "黔西南州", [("安龙县", False), ("望谟县", True), ("兴仁县", False),
                           ("贞丰县", False), ("册亨县", True), ("晴隆县", True),
                           ("普安县", False)]),
    (GUIZHOU, "六盘水市", [("六枝特区", False), ("盘州市", False), ("水城县", True)]),
]  # fmt: skip


@dataclass(frozen=True)
class County:
    province: str
    city: str
    name: str
    priority: bool

    @property
    def short(self) -> str:
        """环江毛南族自治县 -> 环江, 六枝特区 -> 六枝, 靖西市 -> 靖西."""
        for suffix in _COUNTY_SUFFIXES:
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name


_COUNTY_SUFFIXES = (
    "仫佬族自治县",
    "毛南族自治县",
    "各族自治县",
    "瑶族自治县",
    "特区",
    "县",
    "市",
    "区",
)

COUNTIES = [
    County(province, city, name, priority)
    for province, city, names in PAIRED_COUNTIES
    for name, priority in names
]

# category -> [(product, [(spec, price in fen), ...])]
PRODUCTS: dict[str, list[tuple[str, list[tuple[str, int]]]]] = {
    "米面粮油": [
        ("高山香粳米", [("5kg/袋", 5990), ("10kg/袋", 10900)]),
        ("长粒香米", [("2.5kg/袋", 3290), ("5kg/袋", 5890)]),
        ("黑糯米", [("1kg/袋", 2800), ("2.5kg/袋", 6500)]),
        ("小黄姜糯米", [("2kg/袋", 3600)]),
        ("压榨山茶油", [("1L/瓶", 12800), ("2.5L/桶", 29800)]),
        ("非转基因菜籽油", [("5L/桶", 8990)]),
        ("荞麦挂面", [("800g/袋", 1990), ("800g×3袋", 5500)]),
        ("手工米粉", [("1kg/袋", 1690), ("2.5kg/箱", 3900)]),
        ("薏仁米", [("500g/袋", 1980), ("1kg/袋", 3680)]),
        ("红薯粉丝", [("500g/袋", 1590)]),
    ],
    "调味干货": [
        ("林下香菇", [("250g/袋", 3990), ("500g/袋", 7500)]),
        ("黑木耳", [("200g/袋", 2990)]),
        ("八角大料", [("250g/袋", 2600)]),
        ("红花椒", [("100g/瓶", 1800)]),
        ("糍粑辣椒", [("300g/瓶", 1590), ("300g×2瓶", 2900)]),
        ("古法红糖", [("500g/盒", 2580)]),
        ("生态绿茶", [("125g/罐", 6800), ("250g/盒", 12800)]),
        ("原味核桃", [("1kg/袋", 4590)]),
        ("油板栗", [("500g/袋", 2290)]),
        ("竹笋干", [("250g/袋", 3200)]),
    ],
    "休闲食品": [
        ("红薯干", [("500g/袋", 1990), ("1kg/箱", 3590)]),
        ("米花糖", [("400g/盒", 1680)]),
        ("桂花糕", [("300g/盒", 2200)]),
        ("芒果干", [("250g/袋", 2590)]),
        ("火麻仁饮品", [("250ml×12罐", 6800)]),
        ("酸嘢果脯", [("300g/袋", 1590)]),
        ("花生酥", [("400g/盒", 1890)]),
        ("蜂蜜柚子茶", [("500g/瓶", 2990)]),
    ],
    "禽畜肉蛋": [
        ("香猪腊肉", [("500g/袋", 6800), ("1kg/袋", 12800)]),
        ("散养土鸡", [("约1.5kg/只", 13800)]),
        ("林下土鸡蛋", [("30枚/箱", 5990), ("60枚/箱", 10800)]),
        ("黑山羊肉", [("1kg/袋", 16800)]),
        ("黄牛肉", [("1kg/袋", 15800)]),
        ("烟熏香肠", [("500g/袋", 5800)]),
        ("高原火腿", [("2kg/只", 26800)]),
        ("麻鸭", [("约1.8kg/只", 9800)]),
    ],
    "鲜果蔬菜": [
        ("红心猕猴桃", [("2.5kg/箱", 5990), ("5kg/箱", 9990)]),
        ("脐橙", [("5kg/箱", 4990), ("10kg/箱", 8990)]),
        ("百香果", [("2kg/箱", 3590)]),
        ("芒果", [("5kg/箱", 6990)]),
        ("红心火龙果", [("2.5kg/箱", 4290)]),
        ("蜂糖李", [("2.5kg/箱", 7900)]),
        ("高山洋芋", [("5kg/箱", 2990)]),
        ("小黄姜", [("2.5kg/箱", 3990)]),
        ("蓝莓", [("125g×4盒", 5980)]),
    ],
    "组合套餐": [
        ("山珍干货礼盒", [("6种/盒", 19800)]),
        ("粮油组合套装", [("米5kg+油1L", 16800)]),
        ("工会福利年货礼包", [("8种/箱", 29800), ("12种/箱", 39800)]),
        ("腊味团圆礼盒", [("1.5kg/盒", 23800)]),
        ("鲜果时令组合", [("4种/箱", 15800)]),
    ],
}


# root category -> sub-category -> the products of PRODUCTS filed under it
SUBCATEGORIES: dict[str, dict[str, tuple[str, ...]]] = {
    "米面粮油": {
        "大米杂粮": ("高山香粳米", "长粒香米", "黑糯米", "小黄姜糯米", "薏仁米"),
        "食用油": ("压榨山茶油", "非转基因菜籽油"),
        "面条粉丝": ("荞麦挂面", "手工米粉", "红薯粉丝"),
    },
    "调味干货": {
        "菌菇笋干": ("林下香菇", "黑木耳", "竹笋干"),
        "调味品": ("八角大料", "红花椒", "糍粑辣椒", "古法红糖"),
        "茶叶坚果": ("生态绿茶", "原味核桃", "油板栗"),
    },
    "休闲食品": {
        "糕点糖果": ("米花糖", "桂花糕", "花生酥"),
        "果干蜜饯": ("红薯干", "芒果干", "酸嘢果脯"),
        "饮品冲调": ("火麻仁饮品", "蜂蜜柚子茶"),
    },
    "禽畜肉蛋": {
        "腊味熏肉": ("香猪腊肉", "烟熏香肠", "高原火腿"),
        "禽类蛋品": ("散养土鸡", "林下土鸡蛋", "麻鸭"),
        "牛羊肉": ("黑山羊肉", "黄牛肉"),
    },
    "鲜果蔬菜": {
        "时令水果": ("红心猕猴桃", "脐橙", "百香果", "芒果", "红心火龙果", "蜂糖李", "蓝莓"),
        "蔬菜": ("高山洋芋", "小黄姜"),
    },
}


def _demo_items():
    """(code, county, category, product name, specs, n, k) of every demo product, in order."""
    categories = list(PRODUCTS)
    # each category hands out its products in turn, so that every product of the list (and
    # every search the README and the walkthrough show) is in the demo
    turns = dict.fromkeys(categories, 0)
    for n, county in enumerate(COUNTIES):
        for k in range(2 + (n % 5 == 0)):
            category = categories[(n + k * 3) % len(categories)]
            items = PRODUCTS[category]
            name, specs = items[turns[category] % len(items)]
            turns[category] += 1
            yield f"D{n:03d}{k}", county, category, name, specs, n, k


def demo_subcategories() -> dict[str, tuple[str, str]]:
    """product_code -> (root category, sub-category) for the demo products that have one."""
    sub_of = {
        (root, name): sub
        for root, subs in SUBCATEGORIES.items()
        for sub, names in subs.items()
        for name in names
    }
    return {
        code: (category, sub_of[(category, name)])
        for code, _county, category, name, *_ in _demo_items()
        if (category, name) in sub_of
    }


def demo_products() -> list[dict[str, object]]:
    """About two products from every county, in all six categories: one sheet row per SKU
    (the columns of the catalogue import)."""
    rows: list[dict[str, object]] = []
    for code, county, category, name, specs, n, k in _demo_items():
        for spec, price in specs:
            rows.append(
                {
                    "product_code": code,
                    "title": f"{county.short}{name}",
                    "category": category,
                    "supplier": f"{county.city}乡村振兴农特产品有限公司",
                    "province": county.province,
                    "city": county.city,
                    "county": county.name,
                    "priority_county": int(county.priority),
                    "selected": int((n + k) % 4 == 0),
                    "spec": spec,
                    "price": f"{price // 100}.{price % 100:02d}",
                    "stock": 50 + (n * 37 + k * 11) % 450,
                    "description": f"产自{county.province}{county.city}{county.name}，"
                    f"{name}，脱贫地区农副产品，产地直发。",
                    "image_url": f"https://img.example.com/demo/{code}.jpg",
                }
            )
    return rows
