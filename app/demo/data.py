"""Names for the demo city: real-sounding municipal bureaus (市直机关各部门) and people."""

# (slug, name, category).  Slugs are the usual pinyin abbreviations.
BUREAUS: list[tuple[str, str, str]] = [
    ("jgswj", "市机关事务管理局", "general"),
    ("czj", "市财政局", "economic"),
    ("jyj", "市教育局", "social"),
    ("wjw", "市卫生健康委员会", "social"),
    ("fgw", "市发展和改革委员会", "economic"),
    ("sfj", "市司法局", "law"),
    ("mzj", "市民政局", "social"),
    ("zgh", "市总工会", "mass"),
    ("rsj", "市人力资源和社会保障局", "social"),
    ("zrzyj", "市自然资源和规划局", "economic"),
    ("sthjj", "市生态环境局", "economic"),
    ("zjj", "市住房和城乡建设局", "economic"),
    ("jtysj", "市交通运输局", "economic"),
    ("slj", "市水利局", "economic"),
    ("nyncj", "市农业农村局", "economic"),
    ("swj", "市商务局", "economic"),
    ("whlyj", "市文化广电和旅游局", "social"),
    ("tjj", "市统计局", "general"),
    ("sjj", "市审计局", "general"),
    ("scjgj", "市市场监督管理局", "economic"),
    ("yjglj", "市应急管理局", "law"),
    ("xfj", "市信访局", "general"),
    ("gaj", "市公安局", "law"),
    ("tsw", "共青团市委", "mass"),
    ("fl", "市妇女联合会", "mass"),
    ("kx", "市科学技术协会", "mass"),
    ("gxj", "市工业和信息化局", "economic"),
    ("kjj", "市科学技术局", "economic"),
    ("tyj", "市体育局", "social"),
    ("ybj", "市医疗保障局", "social"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["建国", "海燕", "志强", "丽华", "文杰", "晓东", "秀英", "国庆", "红梅", "立新", "永刚", "淑珍",
         "伟", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平", "刚",
         "晓光", "春燕", "振华", "玉兰", "德胜", "慧敏", "卫东", "亚楠", "思远", "雨婷", "浩然", "嘉怡"]


def bureau_for(index: int) -> tuple[str, str, str]:
    """The ``index``-th demo bureau (generated names past the list, for large benches)."""
    if index < len(BUREAUS):
        return BUREAUS[index]
    n = index + 1
    return (f"bureau-{n:04d}", f"市直单位{n:04d}", ("general", "economic", "social", "law", "mass")[n % 5])


def person_name(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)
